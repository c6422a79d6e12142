namespace TokenFlow.Server.Api;

/// <summary>vLLM's --allowed-origins: CORS headers for listed origins ("*": any), and answers to preflight requests.</summary>
public static class Cors
{
    public static Task Middleware(HttpContext http, RequestDelegate next, IReadOnlyList<string> allowed)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0) return next(http);
        var any = allowed.Contains("*");
        if (!any && !allowed.Contains(origin, StringComparer.OrdinalIgnoreCase)) return next(http);
        var h = http.Response.Headers;
        h.AccessControlAllowOrigin = any ? "*" : origin;
        if (!any) h.Vary = "Origin";
        if (HttpMethods.IsOptions(http.Request.Method) && http.Request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            h.AccessControlAllowMethods = "GET, POST, OPTIONS";
            h.AccessControlAllowHeaders = http.Request.Headers.AccessControlRequestHeaders.ToString() is { Length: > 0 } req ? req : "Authorization, Content-Type";
            h.AccessControlMaxAge = "600";
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }
        return next(http);
    }
}
