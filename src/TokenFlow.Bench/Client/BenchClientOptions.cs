namespace TokenFlow.Bench.Client;

/// <summary>How requests are sent: where, to which model, with which body fields.</summary>
public sealed record BenchClientOptions
{
    /// <summary>Server base URL, with or without a trailing /v1.</summary>
    public required Uri BaseUrl { get; init; }
    public string? Model { get; init; }
    public string? ApiKey { get; init; }
    public EndpointKind Endpoint { get; init; } = EndpointKind.Completions;
    /// <summary>Send vLLM's ignore_eos and min_tokens so output lengths are exact (servers that accept them).</summary>
    public bool VllmExtensions { get; init; } = true;
    /// <summary>Send the reader rate as consumption_rate (TokenFlow's extra field; others ignore it).</summary>
    public bool SendConsumptionRate { get; init; } = true;
    /// <summary>Sampling temperature; null leaves the server's default.</summary>
    public double? Temperature { get; init; }
    /// <summary>A request that takes longer than this end to end is cut and counted as a timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Normalises "http://h:p", "http://h:p/" and "http://h:p/v1" to the root that holds "v1/...".</summary>
    public static Uri ParseBaseUrl(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
            throw new BenchException($"--url must be an absolute http(s) URL such as http://127.0.0.1:8000 (got '{url}')");
        var path = u.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) path = path[..^3];
        return new UriBuilder(u) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }
}
