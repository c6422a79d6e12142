using Microsoft.Extensions.Logging;

namespace TokenFlow.Server.Logging;

/// <summary>
/// vLLM's periodic stats line, written only while the engine has work: prompt and generation
/// throughput over the interval, running/waiting/paused requests and KV usage of both tiers.
/// </summary>
public sealed class StatsLogger : IDisposable
{
    private readonly ServerState _state;
    private readonly ILogger _log;
    private readonly Timer _timer;
    private long _prompt, _generated;
    private double _time;

    public StatsLogger(ServerState state, ILogger log, TimeSpan interval)
    {
        _state = state;
        _log = log;
        var s = state.Runner.Engine.Snapshot;
        (_prompt, _generated, _time) = (s.PromptTokens, s.GeneratedTokens, state.Runner.Clock.Now);
        _timer = new Timer(_ => Tick(), null, interval, interval);
    }

    private void Tick()
    {
        try
        {
            var s = _state.Runner.Engine.Snapshot;
            var now = _state.Runner.Clock.Now;
            var dt = Math.Max(1e-9, now - _time);
            var prompt = (s.PromptTokens - _prompt) / dt;
            var gen = (s.GeneratedTokens - _generated) / dt;
            (_prompt, _generated, _time) = (s.PromptTokens, s.GeneratedTokens, now);
            if (prompt == 0 && gen == 0 && s.Streams.Count == 0) return; // idle: say nothing
            _log.LogInformation("Avg prompt throughput: {Prompt:0.0} tokens/s, Avg generation throughput: {Generation:0.0} tokens/s, Running: {Running} reqs, Waiting: {Waiting} reqs, Paused: {Paused} reqs, device KV cache usage: {Device:0.0}%, host KV cache usage: {Host:0.0}%",
                prompt, gen, s.Running, s.Waiting, s.Paused,
                s.DeviceBlocksTotal == 0 ? 0 : 100.0 * s.DeviceBlocksUsed / s.DeviceBlocksTotal,
                s.HostBlocksTotal == 0 ? 0 : 100.0 * s.HostBlocksUsed / s.HostBlocksTotal);
        }
        catch (Exception e) { _log.LogWarning(e, "stats line failed"); }
    }

    public void Dispose() => _timer.Dispose();
}
