using TokenFlow.Core.Engine;
using TokenFlow.Core.Kv;
using TokenFlow.Core.Requests;
using TokenFlow.Core.Scheduling;
using TokenFlow.Inference.Engine;
using TokenFlow.Inference.Formats;

namespace TokenFlow.Inference.Tests;

/// <summary>A K-quant model through the whole engine: greedy tokens do not depend on batching or preemption; bad files fail by name.</summary>
public sealed class QuantizedModelTests : IDisposable
{
    private const int Generate = 40;
    private readonly string _tmp = Directory.CreateTempSubdirectory("tokenflow-quant-").FullName;
    private static readonly Lazy<LoadedModel> _model = new(() => LoadedModel.Load(OracleFixture.Load("llama3-Q4_K_M").GgufPath));

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static int[] Prompt(int i) =>
        i == 0 ? OracleFixture.Load("llama3-Q4_K_M").Prompt : [1, .. Enumerable.Range(0, 1 + (i * 7) % 37).Select(k => 3 + (i * 31 + k * 17) % 509)];

    private static Request NewRequest(int i) => new($"r{i}", Prompt(i), Generate - i % 5, consumptionRate: 1e9, arrivalTime: i * 1e-6) { IgnoreEos = true };

    private static EngineOptions Options(int maxBatchedTokens) => new()
    {
        ChunkedPrefill = true,
        MaxBatchedTokens = maxBatchedTokens,
        Kv = new KvCacheOptions { BlockSize = 16, DeviceBlocks = 256, HostBlocks = 256, WriteThrough = true },
    };

    private static int[] RunAlone(int i)
    {
        var r = NewRequest(i);
        using var e = ModelEngineHost.Create(_model.Value, Options(8), threads: 1);
        e.Post(r);
        e.RunUntilIdle();
        return r.OutputTokens.ToArray();
    }

    [Fact]
    public void BatchedEqualsAlone()
    {
        var requests = Enumerable.Range(0, 12).Select(NewRequest).ToArray();
        using (var e = ModelEngineHost.Create(_model.Value, Options(64), threads: 2))
        {
            foreach (var r in requests) e.Post(r);
            e.RunUntilIdle();
        }
        foreach (var i in new[] { 0, 3, 11 }) Assert.Equal(RunAlone(i), requests[i].OutputTokens);
    }

    [Theory]
    [InlineData(PreemptMode.Offload)]
    [InlineData(PreemptMode.Recompute)]
    public void PreemptedEqualsAlone(PreemptMode mode)
    {
        var alone = RunAlone(0);
        Assert.Equal(OracleFixture.Load("llama3-Q4_K_M").Greedy[..8], alone[..8]); // llama.cpp's own start (its margins there are large)
        var requests = Enumerable.Range(0, 4).Select(NewRequest).ToArray();
        var scheduler = new ScriptedPreemptionScheduler("r0", preemptAt: 10, resumeAt: 16, mode, chunk: 5);
        using (var e = ModelEngineHost.Create(_model.Value, Options(4096), scheduler, threads: 2))
        {
            foreach (var r in requests) e.Post(r);
            e.RunUntilIdle();
            do { Thread.Sleep(1); e.Engine.Step(); } while (e.Transfers.InFlight > 0);
            e.Engine.ValidateKv();
        }
        Assert.Equal(mode, scheduler.Done);
        Assert.Equal(alone, requests[0].OutputTokens);
    }

    [Fact]
    public void TruncatedQuantizedTensorIsNamed()
    {
        var src = OracleFixture.Load("llama3-Q4_K_M").GgufPath;
        var bytes = File.ReadAllBytes(src);
        var p = Path.Combine(_tmp, "trunc.gguf");
        File.WriteAllBytes(p, bytes[..(bytes.Length - 1000)]);
        var e = Assert.Throws<InvalidDataException>(() => LoadedModel.Load(p));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("Q", e.Message);
        Assert.Contains(p, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void UnknownArchitectureListsTheSupportedOnes()
    {
        var p = Path.Combine(_tmp, "arch.gguf");
        var w = new GgufWriter();
        w.Add("general.architecture", "gemma2");
        using (var fs = File.Create(p)) w.WriteTo(fs);
        var e = Assert.Throws<NotSupportedException>(() => LoadedModel.Load(p));
        Assert.Contains("'gemma2'", e.Message);
        Assert.Contains("llama, qwen2, phi3", e.Message);
    }

    [Fact]
    public void UnhonouredKeyIsNamed()
    {
        var p = Path.Combine(_tmp, "yarn.gguf");
        var w = new GgufWriter();
        w.Add("general.architecture", "qwen2");
        w.Add("qwen2.rope.scaling.type", "yarn");
        using (var fs = File.Create(p)) w.WriteTo(fs);
        var e = Assert.Throws<NotSupportedException>(() => LoadedModel.Load(p));
        Assert.Contains("qwen2.rope.scaling.type", e.Message);
        var p2 = Path.Combine(_tmp, "moe.gguf");
        w = new GgufWriter();
        w.Add("general.architecture", "llama");
        w.Add("llama.expert_count", 8u);
        using (var fs = File.Create(p2)) w.WriteTo(fs);
        Assert.Contains("llama.expert_count", Assert.Throws<NotSupportedException>(() => LoadedModel.Load(p2)).Message);
    }

    [Fact]
    public void InvalidSpecialTokenIdsAreIgnoredAndArchitecturesAreRead()
    {
        // The oracle files carry separator/padding ids 4294967295; llama.cpp ignores them.
        using var q = LoadedModel.Load(OracleFixture.Load("qwen2-Q4_K_M").GgufPath);
        Assert.Equal(2, q.Tokenizer.EosId);
        Assert.Equal("qwen2", q.Config.Architecture);
        Assert.True(q.Config.Rope.Neox);
        Assert.True(q.TiedClassifier);
        Assert.NotNull(q.Weights.Layers[0].Bq);
        using var l = LoadedModel.Load(OracleFixture.Load("llama3-Q4_K_M").GgufPath);
        Assert.False(l.Config.Rope.Neox);
        Assert.Equal(32, l.Config.Rope.FreqFactors!.Length);
        Assert.Equal(8f, l.Config.Rope.FreqFactors[^1]);
        using var ph = LoadedModel.Load(OracleFixture.Load("phi3-Q8_0").GgufPath);
        Assert.Equal(2047, ph.Config.SlidingWindow);
        using var ex = ph.CreateExecutor(4, 0);
        Assert.Equal(2047, ex.MaxPositions);
    }
}
