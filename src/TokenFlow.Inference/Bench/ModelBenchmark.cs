using System.Diagnostics;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Inference.Engine;

namespace TokenFlow.Inference.Bench;

/// <summary>
/// llama-batched-bench style: B streams each prefill P prompt tokens in one iteration, then decode
/// G tokens together. Runs through the real engine (scheduler, KV manager, executor), so engine
/// overhead is included. Prompts are seeded random token ids.
/// </summary>
public static class ModelBenchmark
{
    public static BenchResult Run(LoadedModel model, int batch, int promptTokens, int genTokens, int? threads = null, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(promptTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(genTokens, 2);
        const int bs = 16;
        var perSeq = (promptTokens + genTokens + bs - 1) / bs + 1;
        var options = new EngineOptions
        {
            MaxNumSeqs = Math.Max(batch, 1),
            MaxBatchedTokens = Math.Max(batch * promptTokens, 256),
            ChunkedPrefill = false,
            AdmissionWatermark = 0,
            Kv = new KvCacheOptions { BlockSize = bs, DeviceBlocks = batch * perSeq, HostBlocks = 1, WriteThrough = false, Offload = false },
        };
        var observer = new PhaseObserver(batch);
        using var engine = ModelEngineHost.Create(model, options, observer: observer, threads: threads);
        var rng = new Random(seed);
        var vocab = model.Config.VocabSize;
        for (var i = 0; i < batch; i++)
        {
            var prompt = new int[promptTokens];
            prompt[0] = model.Tokenizer.BosId;
            for (var k = 1; k < promptTokens; k++) prompt[k] = rng.Next(3, vocab);
            engine.Post(new Request($"b{i}", prompt, genTokens, 1e9, 0) { IgnoreEos = true });
        }
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        observer.CpuStart = cpu0;
        var sw = Stopwatch.StartNew();
        observer.Watch = sw;
        engine.RunUntilIdle();
        var total = sw.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu0;
        return new BenchResult(batch, promptTokens, genTokens, observer.PrefillDone, total - observer.PrefillDone, observer.PrefillCpu, cpu - observer.PrefillCpu);
    }

    private sealed class PhaseObserver(int batch) : IEngineObserver
    {
        private int _first;
        public Stopwatch? Watch;
        public double PrefillDone, PrefillCpu, CpuStart;

        public void OnToken(Request request, int token, double time)
        {
            if (request.Generated == 1 && ++_first == batch)
            {
                PrefillDone = Watch!.Elapsed.TotalSeconds;
                PrefillCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - CpuStart;
            }
        }

        public void OnFinished(Request request) { }
    }
}
