using Llambda.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Llambda.Server.Routes;

/// <summary><c>/health</c> for load balancers and the Lambda Web Adapter, <c>/metrics</c> for Prometheus, <c>/</c> for people.</summary>
internal static class ServiceRoutes
{
    public static void MapServiceRoutes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Health);
        app.MapGet("/metrics", (ServerMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/", WebPage);
        app.MapGet("/index.html", WebPage);
    }

    private static IResult Health(HttpContext context, ModelHost host)
    {
        var info = ServerJsonContext.Wire.HealthResponse;
        switch (host.State)
        {
            case ModelState.Ready:
                return Results.Json(new HealthResponse { Status = "ok", Model = host.ModelId }, info);
            case ModelState.Loading:
                context.Response.Headers.RetryAfter = "1";
                return Results.Json(new HealthResponse { Status = "loading", Model = host.ModelId }, info, statusCode: 503);
            default:
                // 500, not 503: retrying will not help; the process needs a different model or file.
                return Results.Json(new HealthResponse { Status = "error", Model = host.ModelId, Message = host.Error }, info, statusCode: 500);
        }
    }

    private static readonly Lazy<byte[]> s_page = new(() =>
    {
        using Stream stream = typeof(ServiceRoutes).Assembly.GetManifestResourceStream("Llambda.Server.wwwroot.index.html")
            ?? throw new InvalidOperationException("The web page resource is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    private static IResult WebPage(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-cache";
        // The page loads nothing from elsewhere; say so, so a browser refuses anything injected.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
        return Results.Bytes(s_page.Value, "text/html; charset=utf-8");
    }
}
