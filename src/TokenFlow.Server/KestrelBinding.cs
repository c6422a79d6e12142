using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TokenFlow.Server;

/// <summary>How the server and the router bind Kestrel: one address and port, a body limit, no Server header.</summary>
public static class KestrelBinding
{
    public static void Apply(KestrelServerOptions k, string host, int port, long maxBodyBytes)
    {
        k.Limits.MaxRequestBodySize = maxBodyBytes;
        k.AddServerHeader = false;
        if (host is "localhost") k.ListenLocalhost(port);
        else if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, port);
        else throw new ArgumentException($"--host must be an IP address or localhost, got '{host}'");
    }
}
