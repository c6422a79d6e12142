using Microsoft.Extensions.Logging;

namespace TokenFlow.Server.Logging;

/// <summary>The built-in console log: text (one line each, with a UTC timestamp) or JSON lines; level per --log-level.</summary>
public static class ServerLogging
{
    public const string RequestCategory = "TokenFlow.Requests";
    public const string StatsCategory = "TokenFlow.Stats";

    public static readonly string[] Formats = ["text", "json"];

    public static void Configure(ILoggingBuilder logging, ServerOptions options)
    {
        if (options.LogFormat == "json")
            logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
        else
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; o.UseUtcTimestamp = true; });
        var level = options.LogLevel;
        logging.SetMinimumLevel(level);
        // ASP.NET's own Information lines (every request, every routing decision) only at debug levels.
        logging.AddFilter("Microsoft", level < LogLevel.Information ? level : LogLevel.Warning);
        logging.AddFilter("TokenFlow", level);
        // A failed start (port in use) is rethrown to the caller, which reports it in one line; no stack trace here.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        // --log-requests works whatever the level: asking for request lines means wanting them.
        if (options.LogRequests) logging.AddFilter(RequestCategory, LogLevel.Information);
    }

    /// <summary>Parses --log-level (vLLM's names: debug, info, warning, error, critical; also trace, none).</summary>
    public static LogLevel ParseLevel(string s) => s.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => throw new ArgumentException($"--log-level must be one of trace, debug, info, warning, error, critical, none; got '{s}'"),
    };
}
