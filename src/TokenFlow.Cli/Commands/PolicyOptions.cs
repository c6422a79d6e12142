using System.CommandLine;
using TokenFlow.Core.Scheduling;

namespace TokenFlow.Cli.Commands;

/// <summary>Command-line flags for every constant of the <c>tokenflow</c> and <c>andes</c> policies (design §4), shared by serve and simulate.</summary>
internal sealed class PolicyOptions
{
    private static readonly TokenFlowOptions T = new();
    private static readonly AndesOptions A = new();

    private readonly Option<double> _replan = new("--replan-interval") { Description = "tokenflow: re-plan interval Δt, seconds", DefaultValueFactory = _ => T.ReplanInterval };
    private readonly Option<double> _critical = new("--critical-slack") { Description = "tokenflow: slack (s) below which a stream is buffer-critical", DefaultValueFactory = _ => T.CriticalSlack };
    private readonly Option<double> _mu = new("--buffer-conservativeness") { Description = "tokenflow: μ ≥ 1, a victim's buffer must cover μ·r·(τ_evict+τ_load+Δt)", DefaultValueFactory = _ => T.BufferConservativeness };
    private readonly Option<double> _decay = new("--working-set-decay") { Description = "tokenflow: λ_w of the dynamic working-set size", DefaultValueFactory = _ => T.WorkingSetDecay };
    private readonly Option<double> _gamma = new("--starvation-weight") { Description = "tokenflow: γ, weight of the starvation penalty", DefaultValueFactory = _ => T.StarvationWeight };
    private readonly Option<double> _s0 = new("--slack-scale") { Description = "tokenflow: s₀ (s) of φ(s) = exp(−s/s₀)", DefaultValueFactory = _ => T.SlackScale };
    private readonly Option<double> _headroom = new("--capacity-headroom") { Description = "tokenflow: share of measured decode capacity the guard lets readers claim", DefaultValueFactory = _ => T.CapacityHeadroom };
    private readonly Option<double> _highWater = new("--overload-high-water") { Description = "tokenflow: when overloaded, slack (s) above which a stream yields to a starving one", DefaultValueFactory = _ => T.OverloadHighWaterSlack };
    private readonly Option<double> _horizon = new("--backlog-horizon") { Description = "tokenflow: seconds within which the prefill backlog must clear before the guard calls it overload", DefaultValueFactory = _ => T.BacklogHorizon };
    private readonly Option<double> _window = new("--prompt-rate-window") { Description = "tokenflow: window (s) of the prompt-token arrival rate's moving average", DefaultValueFactory = _ => T.PromptRateWindow };
    private readonly Option<double> _exit = new("--overload-exit") { Description = "tokenflow: overload ends once both loads stay below this fraction of capacity ...", DefaultValueFactory = _ => T.OverloadExitLoad };
    private readonly Option<double> _dwell = new("--overload-dwell") { Description = "tokenflow: ... for this many seconds", DefaultValueFactory = _ => T.OverloadDwell };
    private readonly Option<bool> _noLocalSearch = new("--no-local-search") { Description = "tokenflow: skip the local-search pass after greedy selection" };
    private readonly Option<bool> _noGuard = new("--no-schedulability-guard") { Description = "tokenflow: never fall back to FCFS when readers outrun capacity" };
    private readonly Option<double> _andes = new("--andes-interval") { Description = "andes: decision interval, seconds", DefaultValueFactory = _ => A.Interval };
    private readonly Option<double> _andesCap = new("--andes-preemption-cap") { Description = "andes: P, chosen preemptions per submitted request on average", DefaultValueFactory = _ => A.PreemptionsPerRequest };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _replan, _critical, _mu, _decay, _gamma, _s0, _headroom, _highWater, _horizon, _window, _exit, _dwell, _noLocalSearch, _noGuard, _andes, _andesCap })
            command.Options.Add(o);
    }

    public SchedulerOptions Read(ParseResult parse)
    {
        double Positive(Option<double> o)
        {
            var v = parse.GetValue(o);
            if (!double.IsFinite(v) || v <= 0) throw new CliException($"{o.Name} must be a positive number (got {v})");
            return v;
        }
        double NonNegative(Option<double> o)
        {
            var v = parse.GetValue(o);
            if (!double.IsFinite(v) || v < 0) throw new CliException($"{o.Name} must be a non-negative number (got {v})");
            return v;
        }
        var mu = Positive(_mu);
        if (mu < 1) throw new CliException($"{_mu.Name} must be at least 1 (got {mu})");
        var decay = parse.GetValue(_decay);
        if (!(decay >= 0 && decay <= 1)) throw new CliException($"{_decay.Name} must be between 0 and 1 (got {decay})");
        var exit = Positive(_exit);
        if (exit > 1) throw new CliException($"{_exit.Name} must be at most 1 (got {exit})");
        var dwell = parse.GetValue(_dwell);
        if (!double.IsFinite(dwell) || dwell < 0) throw new CliException($"{_dwell.Name} must be a non-negative number (got {dwell})");
        return new SchedulerOptions
        {
            TokenFlow = new TokenFlowOptions
            {
                ReplanInterval = Positive(_replan),
                CriticalSlack = Positive(_critical),
                BufferConservativeness = mu,
                WorkingSetDecay = decay,
                StarvationWeight = Positive(_gamma),
                SlackScale = Positive(_s0),
                CapacityHeadroom = Positive(_headroom),
                OverloadHighWaterSlack = Positive(_highWater),
                BacklogHorizon = Positive(_horizon),
                PromptRateWindow = Positive(_window),
                OverloadExitLoad = exit,
                OverloadDwell = dwell,
                LocalSearch = !parse.GetValue(_noLocalSearch),
                SchedulabilityGuard = !parse.GetValue(_noGuard),
            },
            Andes = A with { Interval = Positive(_andes), PreemptionsPerRequest = NonNegative(_andesCap) },
        };
    }
}
