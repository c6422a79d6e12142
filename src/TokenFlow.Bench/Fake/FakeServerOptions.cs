namespace TokenFlow.Bench.Fake;

/// <summary>Behaviour of <see cref="FakeOpenAiServer"/>.</summary>
public sealed record FakeServerOptions
{
    public string ModelId { get; init; } = "fake-model";
    /// <summary>Gap between streamed tokens; zero streams as fast as the socket takes it.</summary>
    public TimeSpan TokenInterval { get; init; } = TimeSpan.Zero;
    /// <summary>Delay before the first token (a stand-in for prefill).</summary>
    public TimeSpan FirstTokenDelay { get; init; } = TimeSpan.Zero;
    /// <summary>Fault for the n-th streaming request (0-based, in order of arrival); null: none.</summary>
    public Func<int, FakeFault>? Fault { get; init; }
    /// <summary>Prompt tokens the probe reports per word, plus a fixed overhead (to exercise calibration).</summary>
    public double TokensPerWord { get; init; } = 1;
    public int PromptOverhead { get; init; } = 1;
}
