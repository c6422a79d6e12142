namespace TokenFlow.Core.Requests;

/// <summary>
/// One generation request and everything the engine knows about it: its tokens, its reader and
/// where its KV lives. Owned by the engine thread; other threads talk to the engine instead.
/// </summary>
public sealed class Request
{
    private readonly List<int> _output = new();

    public Request(string id, int[] promptTokens, int maxTokens, double consumptionRate, double arrivalTime,
        SamplingParams? sampling = null, int priority = 0)
    {
        if (promptTokens.Length == 0) throw new ArgumentException("a request needs at least one prompt token", nameof(promptTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        Id = id;
        PromptTokens = promptTokens;
        MaxTokens = maxTokens;
        ArrivalTime = arrivalTime;
        Sampling = sampling ?? SamplingParams.Greedy;
        Priority = priority;
        Reader = new ReaderModel(consumptionRate);
    }

    public string Id { get; }
    public int[] PromptTokens { get; }
    public int PromptLength => PromptTokens.Length;
    public int MaxTokens { get; }
    public double ArrivalTime { get; }
    public SamplingParams Sampling { get; }
    /// <summary>vLLM's static priority: lower is served first; a tie-breaker only.</summary>
    public int Priority { get; }
    public bool IgnoreEos { get; init; }
    public int MinTokens { get; init; }
    /// <summary>Extra token ids that end the request (besides the model's EOS).</summary>
    public IReadOnlySet<int>? StopTokenIds { get; init; }

    public ReaderModel Reader { get; }
    internal Kv.KvSequence Kv { get; } = new();
    /// <summary>Iteration number in which this request was last put in a batch.</summary>
    internal long BatchStamp { get; set; } = -1;
    public double Rate => Reader.Rate;

    private RequestState _state = RequestState.Waiting;

    /// <summary>Where the request is; changed only on the engine thread, and only through <see cref="MoveTo"/> (the setter is a shorthand for it).</summary>
    public RequestState State { get => _state; internal set => MoveTo(value); }
    public FinishReason? FinishReason { get; internal set; }

    public IReadOnlyList<int> OutputTokens => _output;
    public int Generated => _output.Count;
    /// <summary>Prompt plus output: the positions the next computation must cover.</summary>
    public int TotalTokens => PromptTokens.Length + _output.Count;
    /// <summary>Positions whose KV exists (on the device or, when paused, on the host).</summary>
    public int NumComputed { get; internal set; }
    public int RemainingToCompute => TotalTokens - NumComputed;

    /// <summary>Per-request sampler state, so sampled output does not depend on batching or preemption.</summary>
    public object? SamplerState { get; set; }

    public double FirstScheduledTime { get; internal set; } = double.NaN;
    public double FinishTime { get; internal set; } = double.NaN;
    public int SwapPreemptions { get; internal set; }
    public int RecomputePreemptions { get; internal set; }
    public int RecomputedTokens { get; internal set; }
    /// <summary>Arrival time of each output token (seconds, engine clock).</summary>
    public List<double> TokenTimes { get; } = new();

    public int TokenAt(int position) =>
        position < PromptTokens.Length ? PromptTokens[position] : _output[position - PromptTokens.Length];

    internal void AppendToken(int token, double time)
    {
        _output.Add(token);
        TokenTimes.Add(time);
        Reader.OnToken(time);
    }

    /// <summary>Told of every state change (engine thread); set by the engine that accepts the request.</summary>
    internal Engine.IEngineObserver? Observer { get; set; }
    /// <summary>True once an engine accepted the request (it then owns it until it ends).</summary>
    public bool Accepted { get; internal set; }

    /// <summary>The one way a request changes state. Throws on a move <see cref="RequestTransitions"/> does not allow.</summary>
    internal void MoveTo(RequestState next)
    {
        var from = _state;
        if (!RequestTransitions.IsAllowed(from, next)) throw new InvalidOperationException($"illegal request transition {from} -> {next} for {this}");
        _state = next;
        Observer?.OnStateChanged(this, from);
    }

    public bool Started => Generated > 0 || State != RequestState.Waiting;

    public override string ToString() => $"{Id}[{State} p={PromptLength} g={Generated} kv={NumComputed}]";
}
