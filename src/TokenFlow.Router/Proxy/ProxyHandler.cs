using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using TokenFlow.Router.Health;
using TokenFlow.Router.Metrics;
using TokenFlow.Routing.Policies;
using TokenFlow.Routing.Replicas;
using TokenFlow.Server.Api;
using Yarp.ReverseProxy.Forwarder;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// Forwards one request with YARP's <see cref="IHttpForwarder"/>: the policy picks the replica; a
/// request that failed before its first byte reached the client (connection refused, or the replica
/// refused with 429/502/503) is tried once more on another replica. SSE bodies stream through chunk by
/// chunk (YARP flushes each read), guarded by <see cref="SseGuardStream"/>. The client's disconnect
/// cancels the upstream request (YARP links it to <c>RequestAborted</c>).
/// </summary>
public sealed class ProxyHandler(RouterOptions options, IReadOnlyList<ReplicaEndpoint> replicas, IRoutingPolicy policy,
    ReplicaPoller poller, RouterMetrics metrics, IHttpForwarder forwarder, HttpMessageInvoker client)
{
    /// <summary>Response header naming the replica that served the request.</summary>
    public const string ReplicaHeader = "X-TokenFlow-Replica";
    private readonly IRoutingPolicy _spread = new RoundRobinPolicy();
    private readonly ForwarderRequestConfig _config = new() { ActivityTimeout = TimeSpan.FromSeconds(options.ActivityTimeout) };

    /// <param name="generation">True for completions: routed by the policy and counted as a stream on the replica.</param>
    public async Task HandleAsync(HttpContext http, bool generation)
    {
        var start = Stopwatch.GetTimestamp();
        var body = await ReadBodyAsync(http);
        var (rate, prompt) = generation ? RequestHints.Read(body, http.Request.Headers["X-Consumption-Rate"].ToString(), options.DefaultConsumptionRate) : (0, 0);
        var request = new RoutingRequest(rate, prompt);
        var choose = generation ? policy : _spread;
        var index = choose.Choose(Views(), request);
        if (index < 0) { await RefuseAsync(http); return; }
        int? refused = null;
        var clientBody = http.Response.Body;
        var realReset = http.Features.Get<IHttpResetFeature>();
        for (var attempt = 0; attempt < 2 && index >= 0; attempt++)
        {
            var r = replicas[index];
            if (generation) { r.Tracker.OnDispatched(ReplicaPoller.Now, rate, Blocks(r.Tracker, prompt)); metrics.Decision(r); }
            http.Request.Body = new MemoryStream(body, writable: false);
            http.Response.Headers[ReplicaHeader] = r.Url;
            var transformer = new RetryTransformer(mayRetry: attempt == 0);
            if (attempt == 0) metrics.Overhead.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            var reset = new ResetInterceptor();
            var guard = new SseGuardStream(clientBody, metrics.ChunkTime);
            http.Features.Set<IHttpResetFeature>(reset);
            http.Response.Body = guard;
            ForwarderError error;
            try { error = await forwarder.SendAsync(http, r.Url, client, _config, transformer); }
            finally
            {
                if (generation) r.Tracker.OnCompleted();
                http.Features.Set<IHttpResetFeature>(realReset);
                http.Response.Body = clientBody;
            }
            if (http.RequestAborted.IsCancellationRequested) return;
            var sse = http.Response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
            if (http.Response.HasStarted)
            {
                var cut = error != ForwarderError.None || (sse && !guard.EndsWithDone);
                metrics.Request(r, cut ? 599 : http.Response.StatusCode);
                if (!cut) return;
                if (sse) await guard.EndCutStreamAsync("The replica serving this stream failed before it ended.", http.RequestAborted);
                else if (reset.Requested) { if (realReset is not null) realReset.Reset(0x2); else http.Abort(); }
                return;
            }
            if (error == ForwarderError.None && transformer.Refused is null) { metrics.Request(r, http.Response.StatusCode); return; }
            if (transformer.Refused is { } status) { refused = status; metrics.Request(r, status); metrics.Retry("refused"); }
            else
            {
                poller.ReportConnectionFailure(r);
                metrics.Request(r, 0);
                metrics.Retry("unreachable");
            }
            http.Response.Clear();
            http.Response.StatusCode = 200;
            index = attempt == 0 ? choose.Choose(Views(), request, exclude: index) : -1;
        }
        if (refused == 429 || refused is null && Views().Any(v => v.Healthy)) await RefuseAsync(http);
        else await ErrorHandling.WriteErrorAsync(http, new ApiException(503, "No replica could serve the request; retry later.", "server_error", null, "no_replica") { RetryAfter = options.RetryAfterSeconds });
    }

    private ReplicaView[] Views()
    {
        var views = new ReplicaView[replicas.Count];
        for (var i = 0; i < views.Length; i++) views[i] = replicas[i].Tracker.View();
        return views;
    }

    private static int Blocks(ReplicaTracker t, int promptTokens)
    {
        var size = t.Report?.BlockSize ?? 16;
        return (promptTokens + size - 1) / Math.Max(1, size);
    }

    private Task RefuseAsync(HttpContext http)
    {
        metrics.Rejected();
        return ErrorHandling.WriteErrorAsync(http, new ApiException(429, "Every replica is saturated; retry later.", "rate_limit_error", null, "rate_limit_exceeded") { RetryAfter = options.RetryAfterSeconds });
    }

    /// <summary>Reads the body once (it may be sent twice); 413 above the limit.</summary>
    private async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > options.MaxBodyBytes) throw TooLarge();
        using var ms = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            if (ms.Length + n > options.MaxBodyBytes) throw TooLarge();
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    private static ApiException TooLarge() => new(413, "The request body is too large.", "invalid_request_error", null, "request_too_large");
}
