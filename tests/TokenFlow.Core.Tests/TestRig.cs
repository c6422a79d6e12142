using TokenFlow.Core.Engine;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Core.Time;
using TokenFlow.Core.Transfers;

namespace TokenFlow.Core.Tests;

/// <summary>
/// A deterministic executor on a virtual clock: each iteration costs base + perToken·tokens, and
/// the token sampled at position p of a request is a pure function of (prompt, p), so any
/// preemption path must reproduce the same output.
/// </summary>
internal sealed class FakeExecutor(VirtualClock clock, double baseSeconds = 0.02, double perTokenSeconds = 1e-4, long bytesPerBlock = 1 << 20) : IExecutor
{
    public long KvBytesPerBlock => bytesPerBlock;
    public int? EosTokenId { get; init; }
    public List<int> BatchSizes { get; } = new();

    public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
    {
        var tokens = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var s = batch[i];
            tokens += s.Count;
            if (s.Request.NumComputed != s.Start) throw new InvalidOperationException($"{s.Request} chunk starts at {s.Start} but KV covers {s.Request.NumComputed}");
            if (s.BlockTable.Count * 16 < s.Start + s.Count) throw new InvalidOperationException($"{s.Request} has too few blocks for its chunk");
            if (s.Samples) sampled[i] = TokenFor(s.Request, s.Start + s.Count);
        }
        BatchSizes.Add(batch.Count);
        clock.Advance(baseSeconds + perTokenSeconds * tokens);
    }

    public static int TokenFor(Request r, int position)
    {
        var h = (uint)position * 2654435761u;
        foreach (var t in r.PromptTokens) h = (h ^ (uint)t) * 16777619u;
        return (int)(h % 1000) + 3;
    }
}

internal sealed class TestRig
{
    public VirtualClock Clock { get; } = new();
    public FakeExecutor Executor { get; }
    public LlmEngine Engine { get; }

    public TestRig(IScheduler scheduler, EngineOptions? options = null, double linkBytesPerSecond = 25e9, double baseSeconds = 0.02, double perTokenSeconds = 1e-4)
    {
        Executor = new FakeExecutor(Clock, baseSeconds, perTokenSeconds);
        var link = new LinkModel(linkBytesPerSecond);
        Engine = new LlmEngine(options ?? new EngineOptions(), Clock, Executor, new VirtualTransferEngine(Clock, link, link), scheduler) { SnapshotInterval = 0 };
    }

    public static Request MakeRequest(string id, int prompt, int output, double rate, double arrival = 0, int seed = 0) =>
        new(id, Enumerable.Range(0, prompt).Select(i => (i * 7 + seed) % 500 + 3).ToArray(), output, rate, arrival);

    /// <summary>Feeds requests at their arrival times and steps until all finish; returns them.</summary>
    public IReadOnlyList<Request> Run(IEnumerable<Request> requests, double timeLimit = 10_000, Action<LlmEngine>? afterStep = null)
    {
        var pending = new Queue<Request>(requests.OrderBy(r => r.ArrivalTime));
        var all = pending.ToList();
        while (pending.Count > 0 || Engine.HasWork || Engine.Kv.Transfers.InFlight > 0)
        {
            while (pending.Count > 0 && pending.Peek().ArrivalTime <= Clock.Now) Engine.Submit(pending.Dequeue());
            var worked = Engine.Step();
            afterStep?.Invoke(Engine);
            if (!worked)
            {
                var next = Math.Min(pending.Count > 0 ? pending.Peek().ArrivalTime : double.PositiveInfinity, Engine.NextEventTime);
                if (double.IsPositiveInfinity(next))
                {
                    if (Engine.HasWork && Engine.Kv.Transfers.InFlight == 0) throw new InvalidOperationException($"engine stuck at t={Clock.Now:F3}: work left but nothing scheduled; device {Engine.Kv.Device.FreeCount}/{Engine.Kv.Device.Total} free, reserved {Engine.Kv.ReservedForLoads}; waiting [{string.Join(", ", Engine.Waiting)}]; active [{string.Join(", ", Engine.Active)}]");
                    continue;
                }
                Clock.SleepUntil(Math.Max(next, Clock.Now + 1e-6));
            }
            if (Clock.Now > timeLimit) throw new TimeoutException($"not done by t={timeLimit}");
        }
        return all;
    }
}
