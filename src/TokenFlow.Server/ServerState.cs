using Microsoft.Extensions.Logging;
using TokenFlow.Server.Api;
using TokenFlow.Server.Dashboard;
using TokenFlow.Server.Engine;
using TokenFlow.Server.Metrics;
using TokenFlow.Server.Model;

namespace TokenFlow.Server;

/// <summary>Everything one server instance shares between its endpoints (a DI singleton).</summary>
public sealed class ServerState
{
    public required ServerOptions Options { get; init; }
    public required IModelHost Model { get; init; }
    public required string ModelName { get; init; }
    public required EngineRunner Runner { get; init; }
    public required RequestParser Parser { get; init; }
    public required ServerMetrics Metrics { get; init; }
    public required DashboardHistory History { get; init; }
    public required ILogger Log { get; init; }
    /// <summary>Token ids never shown as text (BOS, EOS), as vLLM's skip_special_tokens.</summary>
    public required int[] SpecialTokens { get; init; }
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
