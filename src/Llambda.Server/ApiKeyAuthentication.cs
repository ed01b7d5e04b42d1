using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Llambda.Server;

/// <summary>
/// <c>--api-key</c>: API routes and <c>/metrics</c> need <c>Authorization: Bearer KEY</c>. <c>/</c> (the page asks for
/// the key itself) and <c>/health</c> (load balancers carry no secrets) stay open.
/// </summary>
internal static class ApiKeyAuthentication
{
    public static void UseApiKey(this WebApplication app, string? apiKey)
    {
        if (apiKey is null) return;
        // Compare hashes so the comparison takes the same time whatever the lengths: FixedTimeEquals alone returns
        // early when lengths differ, which would tell an attacker the key's length.
        byte[] expected = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        app.Use(async (context, next) =>
        {
            if (!NeedsKey(context.Request.Path) || HasKey(context.Request, expected))
            {
                await next(context);
                return;
            }
            bool sent = context.Request.Headers.Authorization.Count > 0;
            await ErrorHandling.WriteErrorAsync(context, new ApiException(401,
                sent ? "Incorrect API key provided." : "Missing API key: send 'Authorization: Bearer <key>'.",
                code: "invalid_api_key"));
        });
    }

    private static bool NeedsKey(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/api") || path.StartsWithSegments("/metrics");

    private static bool HasKey(HttpRequest request, byte[] expected)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(7).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
