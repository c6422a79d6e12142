using Microsoft.Coyote.Random;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using Xunit.Abstractions;

namespace TokenFlow.Concurrency.Tests;

/// <summary>
/// The <see cref="EngineHost"/> under Coyote: client threads submit, abort at once, or disconnect
/// after their first token, while the engine thread steps with offloads, loads and write-through in
/// flight, and the host drains and stops at a point Coyote picks. In every schedule: every request
/// ends exactly once, its tokens are exactly the model's (whatever preemption it went through), no
/// iteration faults, the design §5 block invariants hold at every step, and every block is free at the end.
/// </summary>
public sealed class EngineHostTests(ITestOutputHelper output)
{
    private const int BlockSize = 4, DeviceBlocks = 10, HostBlocks = 40, Clients = 3, RequestsPerClient = 2;

    [Fact]
    public void SubmitAbortAndDisconnectRacingTheEngineThreadLeaveEveryRequestEndedAndEveryBlockFree()
    {
        s_completed = s_swaps = s_loads = 0;
        Coyote.Run(() => RunOnce(Generator.Create()), output, maxSteps: 20000);
        output.WriteLine($"{s_completed} schedules ran to the final check; {s_swaps} offloads, {s_loads} loads in all");
        Assert.Equal((int)Coyote.Iterations, s_completed); // no schedule was cut short by the step bound
        Assert.True(s_swaps > 0 && s_loads > 0, "no offload or no load ever happened");
    }

    private static int s_completed, s_swaps, s_loads;

    private static void RunOnce(Generator gen)
    {
        var arena = new TaggedArena(DeviceBlocks, HostBlocks, BlockSize);
        var scheduler = new ChaosScheduler(gen, arena);
        var observer = new RecordingObserver();
        var faults = new List<Exception>();
        var options = new EngineOptions { MaxNumSeqs = 4, MaxBatchedTokens = 16, ChunkedPrefill = true, Kv = new KvCacheOptions { BlockSize = BlockSize, DeviceBlocks = DeviceBlocks, HostBlocks = HostBlocks } };
        var host = new EngineHost(options, new TaggedExecutor(arena), arena, scheduler, observer, onFault: e => { lock (faults) faults.Add(e); });
        host.Start();

        var plans = new int[Clients * RequestsPerClient];
        for (var i = 0; i < plans.Length; i++) plans[i] = gen.NextInteger(3); // 0 run to the end, 1 abort at once, 2 disconnect after the first token
        var drainEarly = gen.NextBoolean();
        var requests = new Request[plans.Length];
        var clients = new Thread[Clients];
        for (var c = 0; c < Clients; c++)
        {
            var client = c;
            clients[c] = new Thread(() =>
            {
                for (var k = 0; k < RequestsPerClient; k++)
                {
                    var i = client * RequestsPerClient + k;
                    var r = new Request($"c{client}-{k}", new[] { i + 1, 2, 3, 4, 5, 6 }[..(2 + i % 5)], 4 + i % 3, 10 + i, host.Clock.Now);
                    requests[i] = r;
                    observer.Expect(r);
                    host.Post(r);
                    if (plans[i] == 1) host.Cancel(r);
                    else if (plans[i] == 2) { observer.WaitForFirstTokenOrEnd(r); host.Cancel(r); }
                }
            });
            clients[c].Start();
        }
        if (drainEarly) host.BeginDrain(); // races the submits: later ones end aborted on arrival
        foreach (var t in clients) t.Join();
        if (!drainEarly) observer.WaitForAllEnded(requests);
        host.BeginDrain().Wait();
        host.Dispose();

        s_swaps += (int)host.Engine.Counters.SwapPreemptions;
        s_loads += (int)host.Engine.Counters.Loads;
        if (faults.Count > 0) throw new InvalidOperationException("an engine iteration failed", faults[0]);
        if (host.Faults != 0) throw new InvalidOperationException($"{host.Faults} engine faults");
        if (host.Live != 0) throw new InvalidOperationException($"{host.Live} requests never ended");
        var kv = host.Engine.Kv;
        if (kv.Device.FreeCount != DeviceBlocks || kv.Host.FreeCount != HostBlocks || kv.ReservedForLoads != 0)
            throw new InvalidOperationException($"blocks leaked: device {kv.Device.FreeCount}/{DeviceBlocks}, host {kv.Host.FreeCount}/{HostBlocks} free, {kv.ReservedForLoads} reserved");
        for (var i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            observer.CheckEndedOnce(r);
            if (!r.State.IsTerminal()) throw new InvalidOperationException($"{r} did not end");
            for (var j = 0; j < r.Generated; j++)
                if (r.OutputTokens[j] != TaggedExecutor.TokenFor(r, r.PromptLength + j))
                    throw new InvalidOperationException($"{r}: token {j} differs from the model's");
            if (r.State == RequestState.Finished && r.Generated != r.MaxTokens) throw new InvalidOperationException($"{r} finished with {r.Generated}/{r.MaxTokens} tokens");
            if (plans[i] == 0 && !drainEarly && r.State != RequestState.Finished) throw new InvalidOperationException($"{r} was neither aborted nor drained yet did not finish");
        }
        s_completed++;
    }

    /// <summary>What each client would see from its sink: tokens, one end. Engine-thread writes, client-thread waits.</summary>
    private sealed class RecordingObserver : IEngineObserver
    {
        private readonly object _gate = new();
        private readonly Dictionary<Request, (int Tokens, int Ends)> _seen = new(ReferenceEqualityComparer.Instance);

        public void Expect(Request r) { lock (_gate) _seen[r] = (0, 0); }

        public void OnToken(Request request, int token, double time)
        {
            lock (_gate)
            {
                var s = _seen[request];
                if (s.Ends > 0) throw new InvalidOperationException($"{request} got a token after it ended");
                _seen[request] = (s.Tokens + 1, s.Ends);
                Monitor.PulseAll(_gate);
            }
        }

        public void OnFinished(Request request)
        {
            lock (_gate)
            {
                var s = _seen[request];
                _seen[request] = (s.Tokens, s.Ends + 1);
                Monitor.PulseAll(_gate);
            }
        }

        public void OnStateChanged(Request request, RequestState from)
        {
            if (!RequestTransitions.IsAllowed(from, request.State)) throw new InvalidOperationException($"{request}: {from} -> {request.State}");
        }

        public void WaitForFirstTokenOrEnd(Request r)
        {
            lock (_gate)
                while (_seen[r] is { Tokens: 0, Ends: 0 }) Monitor.Wait(_gate);
        }

        public void WaitForAllEnded(Request[] requests)
        {
            lock (_gate)
                while (requests.Any(r => _seen[r].Ends == 0)) Monitor.Wait(_gate);
        }

        public void CheckEndedOnce(Request r)
        {
            lock (_gate)
            {
                var s = _seen[r];
                if (s.Ends != 1) throw new InvalidOperationException($"{r} ended {s.Ends} times");
                if (s.Tokens != r.Generated) throw new InvalidOperationException($"{r}: {s.Tokens} tokens delivered, {r.Generated} generated");
            }
        }
    }
}
