using System.Text;
using Prometheus;

namespace TokenFlow.Server.Metrics;

/// <summary>GET /metrics: the server's own registry in Prometheus text format, with vLLM's "vllm:" names.</summary>
public static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app, ServerState state) =>
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await http.Response.WriteAsync(await ExportAsync(state.Metrics.Registry, http.RequestAborted), http.RequestAborted);
        });

    public static async Task<string> ExportAsync(CollectorRegistry registry, CancellationToken ct = default)
    {
        using var ms = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(ms, ct);
        return VllmNames(Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length));
    }

    /// <summary>Renames vllm_x to vllm:x in sample, HELP and TYPE lines.</summary>
    public static string VllmNames(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("vllm_", StringComparison.Ordinal)) sb.Append("vllm:").Append(line, 5, line.Length - 5);
            else if (line.StartsWith("# HELP vllm_", StringComparison.Ordinal) || line.StartsWith("# TYPE vllm_", StringComparison.Ordinal))
                sb.Append(line, 0, 11).Append(':').Append(line, 12, line.Length - 12);
            else sb.Append(line);
            sb.Append('\n');
        }
        if (sb.Length > 0) sb.Length--; // Split added one line past the final newline
        return sb.ToString();
    }
}
