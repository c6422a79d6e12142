using TokenFlow.Workloads;

namespace TokenFlow.Simulation.Tests;

/// <summary>Every bad input is one line that names the file and the field.</summary>
public sealed class BadInputTests
{
    private static WorkloadException Load(string json)
    {
        var path = TestPaths.TempFile("s.json", json);
        var e = Assert.Throws<WorkloadException>(() => ScenarioLoader.Load(path));
        Assert.Equal(path, e.File);
        Assert.StartsWith($"{path}: {e.Field}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void Missing_file()
    {
        var e = Assert.Throws<WorkloadException>(() => ScenarioLoader.Load("/nonexistent/x.json"));
        Assert.Equal("/nonexistent/x.json: file: scenario file not found", e.Message);
    }

    [Fact]
    public void Invalid_json() => Assert.Equal("json", Load("{ \"arrivals\": [ ").Field);

    [Fact]
    public void Negative_arrival_rate() =>
        Assert.Equal("arrivals[0].rate", Load("""{ "arrivals": [ { "type": "poisson", "rate": -2, "count": 10 } ] }""").Field);

    [Fact]
    public void Negative_consumption_rate() =>
        Assert.Equal("rate.components[1].value", Load("""
            { "arrivals": { "type": "burst", "count": 1 }, "rate": { "type": "mixture", "components": [ { "weight": 1, "value": 2 }, { "weight": 1, "value": -5 } ] } }
            """).Field);

    [Fact]
    public void Constant_negative_rate() =>
        Assert.Equal("rate", Load("""{ "arrivals": { "type": "burst", "count": 1 }, "rate": -1 }""").Field);

    [Fact]
    public void Unknown_distribution()
    {
        var e = Load("""{ "arrivals": { "type": "burst", "count": 1 }, "prompt_len": { "type": "zipf", "s": 1 } }""");
        Assert.Equal("prompt_len.type", e.Field);
        Assert.Contains("unknown length distribution 'zipf'", e.Message);
    }

    [Fact]
    public void Unknown_arrival_process() =>
        Assert.Equal("arrivals[0].type", Load("""{ "arrivals": [ { "type": "hawkes" } ] }""").Field);

    [Fact]
    public void Missing_arrivals() => Assert.Equal("arrivals", Load("""{ "name": "x" }""").Field);

    [Fact]
    public void Unknown_field_is_a_typo() => Assert.Equal("outptu_len", Load("""{ "arrivals": { "type": "burst", "count": 1 }, "outptu_len": 5 }""").Field);

    [Fact]
    public void Kv_fraction_out_of_range() => Assert.Equal("kv_mem_fraction", Load("""{ "arrivals": { "type": "burst", "count": 1 }, "kv_mem_fraction": 1.5 }""").Field);

    [Fact]
    public void Missing_trace_file()
    {
        var e = Load("""{ "arrivals": { "type": "trace", "file": "nope.csv" } }""");
        Assert.Equal("arrivals.file", e.Field);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void Uniform_max_below_min() =>
        Assert.Equal("output_len.max", Load("""{ "arrivals": { "type": "burst", "count": 1 }, "output_len": { "type": "uniform", "min": 10, "max": 5 } }""").Field);
}
