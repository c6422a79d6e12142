using System.CommandLine;
using TokenFlow.Router;
using TokenFlow.Routing.Policies;

namespace TokenFlow.Cli.Commands;

/// <summary>The routing options shared by <c>tokenflow router</c> and <c>tokenflow cluster</c>; every constant of the buffer-aware score is one.</summary>
internal sealed class RouterOptionSet(string policyName)
{
    private static readonly RouterOptions D = new();
    private static readonly BufferAwareOptions B = new();
    private readonly Option<string> _policy = new(policyName) { Description = "Routing policy: round-robin, least-requests or buffer-aware.", DefaultValueFactory = _ => D.Policy };
    private readonly Option<double> _poll = new("--poll-interval") { Description = "Seconds between load polls of each replica.", DefaultValueFactory = _ => D.PollInterval };
    private readonly Option<double> _health = new("--health-interval") { Description = "Seconds between /health checks.", DefaultValueFactory = _ => D.HealthInterval };
    private readonly Option<int> _retryAfter = new("--retry-after") { Description = "Retry-After seconds on the router's 429.", DefaultValueFactory = _ => D.RetryAfterSeconds };
    private readonly Option<double> _wh = new("--headroom-weight") { Description = "Buffer-aware: weight of the decode headroom (Γ−Σr−r)/Γ.", DefaultValueFactory = _ => B.HeadroomWeight };
    private readonly Option<double> _wd = new("--device-weight") { Description = "Buffer-aware: weight of free device blocks after the prompt.", DefaultValueFactory = _ => B.DeviceWeight };
    private readonly Option<double> _wo = new("--host-weight") { Description = "Buffer-aware: weight of free host blocks after the prompt.", DefaultValueFactory = _ => B.HostWeight };
    private readonly Option<double> _ww = new("--waiting-weight") { Description = "Buffer-aware: penalty per waiting request.", DefaultValueFactory = _ => B.WaitingWeight };
    private readonly Option<int> _sat = new("--saturated-waiting") { Description = "Buffer-aware: waiting count at which a replica without headroom is saturated.", DefaultValueFactory = _ => B.SaturatedWaiting };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { _policy, _poll, _health, _retryAfter, _wh, _wd, _wo, _ww, _sat }) cmd.Options.Add(o);
    }

    public RouterOptions Read(ParseResult p, RouterOptions baseOptions) => baseOptions with
    {
        Policy = p.GetValue(_policy)!,
        PollInterval = p.GetValue(_poll),
        HealthInterval = p.GetValue(_health),
        RetryAfterSeconds = p.GetValue(_retryAfter),
        BufferAware = new BufferAwareOptions
        {
            HeadroomWeight = p.GetValue(_wh),
            DeviceWeight = p.GetValue(_wd),
            HostWeight = p.GetValue(_wo),
            WaitingWeight = p.GetValue(_ww),
            SaturatedWaiting = p.GetValue(_sat),
        },
    };
}
