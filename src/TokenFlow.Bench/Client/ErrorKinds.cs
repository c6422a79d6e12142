using System.Net.Sockets;

namespace TokenFlow.Bench.Client;

/// <summary>Names of client-side failure kinds, as reported per kind in the table and the JSON.</summary>
public static class ErrorKinds
{
    public const string ConnectionRefused = "connection_refused";
    public const string ConnectionError = "connection_error";
    public const string BrokenStream = "broken_stream";
    public const string StreamError = "stream_error";
    public const string BadStream = "bad_stream";
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";

    public static string Http(int status) => $"http_{status}";

    /// <summary>Classifies a failure to connect or send.</summary>
    public static string OfSend(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is SocketException s)
                return s.SocketErrorCode == SocketError.ConnectionRefused ? ConnectionRefused : ConnectionError;
        return ConnectionError;
    }
}
