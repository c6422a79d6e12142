using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

public sealed class TraceTests
{
    [Fact]
    public void Burstgpt_sample_replays_with_its_lengths_and_relative_times()
    {
        var csv = TestPaths.Scenario("traces/burstgpt-sample.csv");
        var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.InRange(rows.Length, 200, 1000);
        var usable = rows.Where(r => int.Parse(r[3]) > 0).ToArray();

        var records = TraceReader.ReadBurstGpt(csv);
        Assert.Equal(usable.Length, records.Count);

        var scenario = ScenarioLoader.Load(TestPaths.Scenario("burstgpt-sample.json"));
        var plan = scenario.Plan();
        Assert.Equal(usable.Length, plan.Count);
        var t0 = usable.Min(r => double.Parse(r[0]));
        var expected = usable.Select(r => (T: double.Parse(r[0]) - t0, P: int.Parse(r[2]), O: int.Parse(r[3]))).OrderBy(x => x.T).ToArray();
        Assert.Equal(expected.Select(x => x.T), plan.Select(p => p.ArrivalTime));
        Assert.Equal(expected.Select(x => x.O).Order(), plan.Select(p => p.OutputLength).Order());
        Assert.Equal(expected.Select(x => Math.Max(1, x.P)).Order(), plan.Select(p => p.PromptLength).Order());
    }

    [Fact]
    public void Burstgpt_model_filter_and_time_scale()
    {
        var csv = TestPaths.TempFile("t.csv", """
            Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
            10,ChatGPT,100,20,120,Conversation log
            12,GPT-4,50,0,50,API log
            14,GPT-4,30,40,70,API log
            20,ChatGPT,0,5,5,Conversation log
            """);
        Assert.Equal(3, TraceReader.ReadBurstGpt(csv).Count); // the 0-response failure is skipped
        Assert.Single(TraceReader.ReadBurstGpt(csv, "GPT-4"));
        var dir = Path.GetDirectoryName(csv)!;
        var plan = ScenarioLoader.Parse("""{ "arrivals": { "type": "trace", "file": "t.csv", "time_scale": 0.5, "start": 1 } }""", "inline", dir).Plan();
        Assert.Equal(new[] { 1.0, 3.0, 6.0 }, plan.Select(p => p.ArrivalTime));
        Assert.Equal(1, plan[^1].PromptLength); // a 0-token prompt is clipped to 1
    }

    [Fact]
    public void Jsonl_trace_with_optional_rate()
    {
        var path = TestPaths.TempFile("t.jsonl", """
            {"timestamp": 5.0, "prompt_len": 10, "output_len": 20, "rate": 7.5}

            {"timestamp": 6.5, "prompt_len": 11, "output_len": 21}
            """);
        var plan = ScenarioLoader.Parse($$"""{ "arrivals": { "type": "trace", "file": "{{path.Replace("\\", "\\\\")}}" }, "rate": 3 }""").Plan();
        Assert.Equal(2, plan.Count);
        Assert.Equal((0.0, 10, 20, 7.5), (plan[0].ArrivalTime, plan[0].PromptLength, plan[0].OutputLength, plan[0].Rate));
        Assert.Equal((1.5, 11, 21, 3.0), (plan[1].ArrivalTime, plan[1].PromptLength, plan[1].OutputLength, plan[1].Rate));
    }

    [Fact]
    public void Bad_trace_rows_name_file_line_and_field()
    {
        var csv = TestPaths.TempFile("bad.csv", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n1,ChatGPT,abc,3,3,API log\n");
        var e = Assert.Throws<WorkloadException>(() => TraceReader.ReadBurstGpt(csv));
        Assert.Equal($"{csv}: line 2.Request tokens: expected a non-negative integer (got 'abc')", e.Message);

        var jsonl = TestPaths.TempFile("bad.jsonl", "{\"timestamp\": 1, \"prompt_len\": 3, \"output_len\": 4, \"rate\": -1}\n");
        var j = Assert.Throws<WorkloadException>(() => TraceReader.ReadJsonl(jsonl));
        Assert.Equal("line 1.rate", j.Field);
        Assert.Equal(jsonl, j.File);

        var noHeader = TestPaths.TempFile("nohdr.csv", "Time,Model\n1,x\n");
        Assert.Contains("missing column 'Timestamp'", Assert.Throws<WorkloadException>(() => TraceReader.ReadBurstGpt(noHeader)).Message);
    }
}
