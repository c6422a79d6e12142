using Microsoft.AspNetCore.Http.Features;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// Stands in for HTTP/2's reset feature while YARP copies a response: when a replica cuts a body that
/// has started, YARP resets (or aborts) the client's request so it cannot mistake the truncated body for
/// a complete one. For SSE the router instead ends the stream with an error event and <c>[DONE]</c>, so
/// it records the reset here and finishes the response itself.
/// </summary>
public sealed class ResetInterceptor : IHttpResetFeature
{
    public bool Requested { get; private set; }
    public void Reset(int errorCode) => Requested = true;
}
