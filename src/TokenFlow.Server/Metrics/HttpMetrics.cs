using Microsoft.AspNetCore.Routing;

namespace TokenFlow.Server.Metrics;

/// <summary>Counts every HTTP exchange by route template (not raw path: no label explosion), method and final status.</summary>
public static class HttpMetrics
{
    public static async Task Middleware(HttpContext http, RequestDelegate next, ServerState state)
    {
        try { await next(http); }
        finally
        {
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            if (route is null || route.Contains('*')) route = "other"; // the 404/405 fallback
            var status = http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted ? 499 : http.Response.StatusCode;
            state.Metrics.OnHttp(route, http.Request.Method, status);
            if (route.StartsWith("/v1/", StringComparison.Ordinal)) state.History.OnHttp(status, state.Runner.Clock.Now);
        }
    }
}
