using TokenFlow.Core.Engine;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Inference.Engine;

namespace TokenFlow.Inference.Tests;

/// <summary>Greedy tokens must not depend on batching, chunking, threads or preemption (design §5 invariant).</summary>
public sealed class DeterminismTests
{
    private const int Generate = 48;

    private static int[] Prompt(int i) =>
        i == 0 ? TestModels.Stories260K.Tokenizer.Encode("Once upon a time, in a big forest, a little fox")
        : [1, .. Enumerable.Range(0, 1 + (i * 7) % 37).Select(k => 3 + (i * 31 + k * 17) % 509)];

    private static Request NewRequest(int i) =>
        new($"r{i}", Prompt(i), Generate - i % 5, consumptionRate: 1e9, arrivalTime: i * 1e-6) { IgnoreEos = true };

    private static int[] RunAlone(int i, int threads = 1)
    {
        var r = NewRequest(i);
        using var e = ModelEngineHost.Create(TestModels.Stories260K, Options(8), threads: threads);
        e.Post(r);
        e.RunUntilIdle();
        return r.OutputTokens.ToArray();
    }

    private static EngineOptions Options(int maxBatchedTokens, bool writeThrough = true) => new()
    {
        ChunkedPrefill = true,
        MaxBatchedTokens = maxBatchedTokens,
        Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 512, HostBlocks = 512, WriteThrough = writeThrough },
    };

    [Fact]
    public void BatchedWith31OthersEqualsAlone()
    {
        var requests = Enumerable.Range(0, 32).Select(NewRequest).ToArray();
        using (var e = ModelEngineHost.Create(TestModels.Stories260K, Options(64), threads: 2))
        {
            foreach (var r in requests) e.Post(r);
            e.RunUntilIdle();
        }
        foreach (var i in new[] { 0, 1, 5, 13, 30, 31 })
            Assert.Equal(RunAlone(i), requests[i].OutputTokens);
    }

    [Theory]
    [InlineData(PreemptMode.Offload)]
    [InlineData(PreemptMode.Recompute)]
    public void PreemptedEqualsAlone(PreemptMode mode)
    {
        var alone = RunAlone(0);
        var requests = Enumerable.Range(0, 6).Select(NewRequest).ToArray();
        var scheduler = new ScriptedPreemptionScheduler("r0", preemptAt: 14, resumeAt: 20, mode, chunk: 5);
        using (var e = ModelEngineHost.Create(TestModels.Stories260K, Options(4096), scheduler, threads: 2))
        {
            foreach (var r in requests) e.Post(r);
            e.RunUntilIdle();
            // Write-through copies may still be landing; let the engine apply them before counting blocks.
            // InFlight only drops when a Step polls the finished copies, so step while waiting (waiting
            // first and stepping once hung whenever a copy was still in flight at RunUntilIdle's return).
            do { Thread.Sleep(1); e.Engine.Step(); } while (e.Transfers.InFlight > 0);
            e.Engine.ValidateKv();
            Assert.Equal(e.Engine.Kv.Device.Total, e.Engine.Kv.Device.FreeCount);
        }
        Assert.Equal(mode, scheduler.Done);
        Assert.True(scheduler.Resumed);
        Assert.Equal(mode == PreemptMode.Offload ? 1 : 0, requests[0].SwapPreemptions);
        Assert.Equal(mode == PreemptMode.Recompute ? 1 : 0, requests[0].RecomputePreemptions);
        Assert.Equal(alone, requests[0].OutputTokens);
    }

    [Fact]
    public void LogitsAreBitIdenticalAcrossBatchAndThreads()
    {
        var model = TestModels.Stories260K;
        var prompt = Prompt(0);
        var alone = model.ComputeLogits(prompt, threads: 1);
        using var ex = model.CreateExecutor(64, 0, 16, threads: 2);
        var batch = new List<ScheduledSequence>();
        var next = 0;
        for (var i = 0; i < 8; i++)
        {
            var p = i == 3 ? prompt : Prompt(i + 1);
            var r = new Request($"x{i}", p, 1, 1, 0);
            var blocks = (p.Length + 15) / 16;
            batch.Add(new ScheduledSequence(r, 0, p.Length, Enumerable.Range(next, blocks).ToArray()));
            next += blocks;
        }
        var sampled = new int[batch.Count];
        ex.Execute(batch, sampled);
        Assert.Equal(alone, ex.Logits(3).ToArray());
    }
}
