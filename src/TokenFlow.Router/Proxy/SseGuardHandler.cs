using System.Net.Http.Headers;
using TokenFlow.Router.Metrics;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// Wraps every event-stream response from a replica in <see cref="SseGuardStream"/>, so a stream the
/// replica cut (it died, or shut down) still ends, for the client, with an OpenAI-shaped error event
/// and <c>data: [DONE]</c>. It also times how long the router holds each chunk.
/// </summary>
public sealed class SseGuardHandler(RouterMetrics metrics) : DelegatingHandler(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = System.Net.DecompressionMethods.None,
    UseCookies = false,
    ConnectTimeout = TimeSpan.FromSeconds(2),
    ActivityHeadersPropagator = null,
})
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            var inner = response.Content;
            var guarded = new StreamContent(new SseGuardStream(await inner.ReadAsStreamAsync(ct), metrics.ChunkTime));
            foreach (var h in inner.Headers) guarded.Headers.TryAddWithoutValidation(h.Key, h.Value);
            guarded.Headers.ContentLength = null;
            response.Content = guarded;
        }
        return response;
    }
}
