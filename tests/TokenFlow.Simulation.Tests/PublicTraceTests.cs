using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

/// <summary>Azure LLM inference CSV and Mooncake JSONL replay, time_scale, clipping to a context.</summary>
public sealed class PublicTraceTests
{
    private const string Azure = """
        TIMESTAMP,ContextTokens,GeneratedTokens
        2023-11-16 18:15:46.6805900,374,44
        2023-11-16 18:15:50.9951690,396,109
        2023-11-16 18:15:51.5000000,0,12
        2023-11-16 18:15:52.0000000,9000,0
        2023-11-16 18:15:56.6805900,7000,2000
        """;

    private const string Mooncake = """
        {"timestamp": 0, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47]}
        {"timestamp": 2500, "input_length": 6472, "output_length": 26, "hash_ids": [46]}

        {"timestamp": 4000, "input_length": 100, "output_length": 7}
        """;

    private static string Scenario(string traceName, string trace, string extra = "")
    {
        var file = System.Text.Json.JsonSerializer.Serialize(TestPaths.TempFile(traceName, trace));
        return TestPaths.TempFile("s.json", "{\"arrivals\": [{\"type\": \"trace\", \"file\": " + file + extra + "}], \"rate\": {\"type\": \"human\"}}");
    }

    [Fact]
    public void Azure_csv_parses_with_relative_times_and_skips_failed_rows()
    {
        var records = TraceReader.Read(TestPaths.TempFile("azure.csv", Azure));
        Assert.Equal(4, records.Count); // the 0-generated row is a failure
        Assert.Equal([374, 396, 1, 7000], records.Select(r => r.PromptLength));
        Assert.Equal([44, 109, 12, 2000], records.Select(r => r.OutputLength));
        var plan = ScenarioLoader.Load(Scenario("azure.csv", Azure)).Plan();
        Assert.Equal([0, 4.314579, 4.81941, 10.0], plan.Select(p => Math.Round(p.ArrivalTime, 6)));
    }

    [Fact]
    public void Mooncake_jsonl_parses_milliseconds_and_time_scale_scales_the_gaps()
    {
        var records = TraceReader.Read(TestPaths.TempFile("mooncake.jsonl", Mooncake));
        Assert.Equal([6955, 6472, 100], records.Select(r => r.PromptLength));
        Assert.Equal([52, 26, 7], records.Select(r => r.OutputLength));
        Assert.Equal([0, 2.5, 4.0], records.Select(r => r.Timestamp));
        var plan = ScenarioLoader.Load(Scenario("mooncake.jsonl", Mooncake, ", \"time_scale\": 0.5, \"start\": 1")).Plan();
        Assert.Equal([1, 2.25, 3.0], plan.Select(p => p.ArrivalTime));
    }

    [Fact]
    public void Clipping_to_the_context_is_counted_and_keeps_rows_within_it()
    {
        var trace = (TraceArrivals)ScenarioLoader.Load(Scenario("mooncake.jsonl", Mooncake, ", \"max_context\": 4096")).Arrivals[0];
        Assert.Equal(4096, trace.MaxContext);
        Assert.Equal(2, trace.ClippedRows);
        Assert.All(trace.Records, r => Assert.True(r.PromptLength + r.OutputLength <= 4096));
        Assert.Equal([4096 - 52, 4096 - 26, 100], trace.Records.Select(r => r.PromptLength));
        var (_, none) = TraceReader.Clip(trace.Records, 1 << 20);
        Assert.Equal(0, none);
    }

    [Theory]
    [InlineData("azure.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12,4\nyesterday,12,4\n", "line 3.TIMESTAMP")]
    [InlineData("azure.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,-3,4\n", "line 2.ContextTokens")]
    [InlineData("mooncake.jsonl", "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 2}\n{\"timestamp\": 10, \"input_length\": \"x\", \"output_length\": 2}\n", "line 2.input_length")]
    [InlineData("mooncake.jsonl", "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 2}\n{\"input_length\": 5, \"output_length\": 2}\n", "line 2.timestamp")]
    public void A_malformed_row_names_the_file_the_row_and_the_field(string name, string content, string where)
    {
        var path = TestPaths.TempFile(name, content);
        var e = Assert.Throws<WorkloadException>(() => TraceReader.Read(path));
        Assert.StartsWith($"{path}: {where}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
