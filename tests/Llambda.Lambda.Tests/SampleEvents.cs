using System.Text.Json;

namespace Llambda.Lambda.Tests;

/// <summary>HTTP events in each source's documented shape (trimmed to the fields the sources always send).</summary>
public static class SampleEvents
{
    public static string FunctionUrl(string method, string path, object? body = null, string query = "", string[]? cookies = null) =>
        V2("abcdefg.lambda-url.us-east-1.on.aws", method, path, body, query, cookies);

    public static string HttpApi(string method, string path, object? body = null, string query = "") =>
        V2("r3pmxmplak.execute-api.us-east-1.amazonaws.com", method, path, body, query, null);

    private static string V2(string domain, string method, string path, object? body, string query, string[]? cookies) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["version"] = "2.0",
        ["routeKey"] = "$default",
        ["rawPath"] = path,
        ["rawQueryString"] = query,
        ["cookies"] = cookies,
        ["headers"] = new Dictionary<string, string> { ["content-type"] = "application/json", ["host"] = domain, ["user-agent"] = "test" },
        ["requestContext"] = new Dictionary<string, object>
        {
            ["accountId"] = "123456789012",
            ["apiId"] = domain.Split('.')[0],
            ["domainName"] = domain,
            ["http"] = new Dictionary<string, string> { ["method"] = method, ["path"] = path, ["protocol"] = "HTTP/1.1", ["sourceIp"] = "192.0.2.1", ["userAgent"] = "test" },
            ["requestId"] = "id",
            ["timeEpoch"] = 1583348638390,
        },
        ["body"] = body is null ? null : JsonSerializer.Serialize(body),
        ["isBase64Encoded"] = false,
    });

    public static string RestApi(string method, string path, object? body = null, Dictionary<string, string>? query = null) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["resource"] = "/{proxy+}",
        ["path"] = path,
        ["httpMethod"] = method,
        ["headers"] = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["Host"] = "api.example.com" },
        ["multiValueHeaders"] = new Dictionary<string, string[]> { ["Content-Type"] = ["application/json"], ["Host"] = ["api.example.com"] },
        ["queryStringParameters"] = query,
        ["multiValueQueryStringParameters"] = query?.ToDictionary(q => q.Key, q => new[] { q.Value }),
        ["pathParameters"] = new Dictionary<string, string> { ["proxy"] = path.TrimStart('/') },
        ["requestContext"] = new Dictionary<string, object> { ["resourcePath"] = "/{proxy+}", ["httpMethod"] = method, ["path"] = "/prod" + path, ["stage"] = "prod" },
        ["body"] = body is null ? null : JsonSerializer.Serialize(body),
        ["isBase64Encoded"] = false,
    });

    public static string Alb(string method, string path, object? body = null, bool multiValue = false) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["requestContext"] = new Dictionary<string, object> { ["elb"] = new Dictionary<string, string> { ["targetGroupArn"] = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/llambda/6d0ecf831eec9f09" } },
        ["httpMethod"] = method,
        ["path"] = path,
        [multiValue ? "multiValueQueryStringParameters" : "queryStringParameters"] = multiValue ? new Dictionary<string, string[]>() : new Dictionary<string, string>(),
        [multiValue ? "multiValueHeaders" : "headers"] = multiValue
            ? new Dictionary<string, string[]> { ["content-type"] = ["application/json"], ["host"] = ["lb.example.com"] }
            : new Dictionary<string, string> { ["content-type"] = "application/json", ["host"] = "lb.example.com" },
        ["body"] = body is null ? "" : JsonSerializer.Serialize(body),
        ["isBase64Encoded"] = false,
    });

    /// <summary>An EventBridge (CloudWatch Events) scheduled event, as a warm-up rule sends it.</summary>
    public const string Scheduled = """
        {"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",
         "account":"123456789012","time":"2015-10-08T16:53:06Z","region":"us-east-1",
         "resources":["arn:aws:events:us-east-1:123456789012:rule/llambda-warm"],"detail":{}}
        """;
}
