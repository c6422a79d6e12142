using Microsoft.Coyote.Random;
using Microsoft.Coyote.Runtime;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using Xunit.Abstractions;

namespace TokenFlow.Concurrency.Tests;

/// <summary>
/// Regression (found by Coyote): a request posted while the host was stopping sat in the inbox after
/// the engine thread's last drain, so it never ended and its client waited forever. Now
/// <see cref="EngineHost.Post"/> refuses a request once the host stops, and every request it
/// accepted ends.
/// </summary>
public sealed class StopRaceTests(ITestOutputHelper output)
{
    private const int BlockSize = 4, DeviceBlocks = 16, HostBlocks = 16;

    [Fact]
    public void PostsRacingDisposeEitherEndOrAreRefused() => Coyote.Run(() => RunOnce(Generator.Create()), output);

    private static void RunOnce(Generator gen)
    {
        var arena = new TaggedArena(DeviceBlocks, HostBlocks, BlockSize);
        var ended = new HashSet<Request>(ReferenceEqualityComparer.Instance);
        var observer = new EndObserver(ended);
        var options = new EngineOptions { MaxNumSeqs = 4, MaxBatchedTokens = 16, Kv = new KvCacheOptions { BlockSize = BlockSize, DeviceBlocks = DeviceBlocks, HostBlocks = HostBlocks } };
        var host = new EngineHost(options, new TaggedExecutor(arena), arena, new ChaosScheduler(gen, arena), observer);
        host.Start();
        var posted = new (Request Request, bool Accepted)[4];
        var clients = Enumerable.Range(0, 2).Select(c => new Thread(() =>
        {
            for (var k = 0; k < 2; k++)
            {
                var r = new Request($"c{c}-{k}", [c + 1, 2, 3], 3, 10, 0);
                posted[c * 2 + k] = (r, host.Post(r));
            }
        })).ToArray();
        foreach (var t in clients) t.Start();
        for (var i = gen.NextInteger(4); i > 0; i--) SchedulingPoint.Interleave();
        host.Dispose();
        foreach (var t in clients) t.Join();

        foreach (var (r, accepted) in posted)
        {
            bool end;
            lock (ended) end = ended.Contains(r);
            if (accepted && !end) throw new InvalidOperationException($"{r} was accepted but never ended");
            if (!accepted && (end || r.Accepted)) throw new InvalidOperationException($"{r} was refused yet reached the engine");
        }
        if (host.Live != 0) throw new InvalidOperationException($"{host.Live} requests never ended");
        if (host.Engine.Kv.Device.FreeCount != DeviceBlocks || host.Engine.Kv.Host.FreeCount != HostBlocks) throw new InvalidOperationException("blocks leaked");
    }

    private sealed class EndObserver(HashSet<Request> ended) : IEngineObserver
    {
        public void OnToken(Request request, int token, double time) { }
        public void OnFinished(Request request) { lock (ended) ended.Add(request); }
    }
}
