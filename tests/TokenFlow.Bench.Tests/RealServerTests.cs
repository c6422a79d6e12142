using TokenFlow.Bench.Client;
using TokenFlow.Bench.Report;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;
using TokenFlow.Server;
using TokenFlow.Server.Model;

namespace TokenFlow.Bench.Tests;

/// <summary>End to end against TokenFlow's own server, in-process, on the real stories260K model.</summary>
public sealed class RealServerTests
{
    private static string ModelDir([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        ModelLocator.FindStories260K(Path.GetDirectoryName(here)!) ?? throw new InvalidOperationException("stories260K not found: put it in ../shared/models/stories260K or set TOKENFLOW_MODELS_DIR");

    [Fact]
    public async Task ShortRunAgainstTokenFlowServe()
    {
        var dir = ModelDir();
        await using var server = await TokenFlowServer.StartAsync(new ServerOptions
        {
            Port = 0,
            ModelPath = Path.Combine(dir, "stories260K.bin"),
            TokenizerPath = Path.Combine(dir, "tok512.bin"),
            DeviceKvBlocks = 256,
            HostKvBlocks = 512,
            Threads = 1,
            // The server default policy; TFBENCH_POLICY overrides.
            Policy = Environment.GetEnvironmentVariable("TFBENCH_POLICY") ?? "tokenflow",
        });
        var settings = new BenchSettings
        {
            Client = new BenchClientOptions { BaseUrl = BenchClientOptions.ParseBaseUrl(server.ApiBase), RequestTimeout = TimeSpan.FromSeconds(30) },
            ScenarioPath = PlanTests.RepoFile("scenarios/cpu-burst.json"),
            Knobs = new VllmKnobs { NumPrompts = 8, RandomInputLen = 24, RandomOutputLen = 32 },
            Seed = 2,
        };
        var report = await BenchSession.RunAsync(settings);

        Assert.True(report.Errors.Count == 0, string.Join("; ", report.Requests.Where(r => r.Error is not null).Select(r => $"{r.Id} {r.Error} {r.ErrorMessage} after {r.OutputTokens} tokens")));
        Assert.Equal(8, report.Vllm.Completed);
        Assert.Equal(server.ModelName, report.Config.Model);
        // ignore_eos + min_tokens make every output exactly max_tokens long; usage agrees with the chunks.
        Assert.All(report.Requests, r => Assert.Equal(32, r.OutputTokens));
        Assert.All(report.Requests, r => Assert.NotNull(r.PromptTokens));
        Assert.True(report.Config.CalibrationMeasured);
        Assert.True(report.Summary.EffectiveThroughputTps > 0);
        Assert.True(report.Summary.TokenThroughputTps >= report.Summary.EffectiveThroughputTps);
        var plots = PlotWriter.WriteRun(report, Path.Combine(Path.GetTempPath(), "tfbench-real-" + Guid.NewGuid().ToString("N")[..8]));
        foreach (var png in plots) Png.AssertValid(png);
        Directory.Delete(Path.GetDirectoryName(plots[0])!, true);
    }
}
