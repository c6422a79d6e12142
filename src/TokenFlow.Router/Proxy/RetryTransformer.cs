using Yarp.ReverseProxy.Forwarder;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// YARP's default transforms, except that on a first attempt a refusal (429, 502, 503) is not copied
/// to the client: nothing has reached it yet, so the router can try another replica.
/// </summary>
public sealed class RetryTransformer(bool mayRetry) : HttpTransformer
{
    public int? Refused { get; private set; }

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var status = (int?)proxyResponse?.StatusCode;
        if (mayRetry && status is 429 or 502 or 503)
        {
            Refused = status;
            return ValueTask.FromResult(false);
        }
        return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
    }
}
