using TokenFlow.Core.Requests;
using TokenFlow.Inference.Engine;

namespace TokenFlow.Inference.Tests;

/// <summary>stories260K.bin + tok512.bin against llama2.c run.c's outputs in golden.json.</summary>
public sealed class GoldenTests
{
    public static TheoryData<string> Cases() => new() { "g1", "g2", "g4", "g3" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesRunC(string name)
    {
        using var doc = TestModels.Golden();
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var args = c.GetProperty("run_c_args");
        var model = TestModels.Stories260K;
        var prompt = args.GetProperty("prompt").GetString()!;
        var expectedPrompt = c.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var steps = c.GetProperty("next_token_per_step").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(expectedPrompt, model.Tokenizer.Encode(prompt));

        var temperature = args.GetProperty("temperature").GetSingle();
        var sampling = temperature == 0 ? SamplingParams.Greedy : new SamplingParams
        {
            Temperature = temperature,
            TopP = args.GetProperty("topp").GetSingle(),
            Seed = args.GetProperty("seed").GetUInt64(),
            RunCCompatible = true,
        };
        var stepCount = args.GetProperty("steps").GetInt32();
        var result = TextGenerator.Generate(model, expectedPrompt, stepCount - (expectedPrompt.Length - 1), sampling, threads: 1);

        // run.c lists forced prompt tokens first, then what it generated.
        var expectedOut = steps[(expectedPrompt.Length - 1)..];
        Assert.Equal(expectedOut, result.Tokens);
        var stdout = c.GetProperty("stdout_exact").GetString()!;
        Assert.Equal(stdout[..^1], model.Tokenizer.Decode(expectedPrompt.Concat(result.Tokens).ToArray()));
    }

    [Fact]
    public void FirstLogitsMatchWithin1e4()
    {
        using var doc = TestModels.Golden();
        var expected = doc.RootElement.GetProperty("logits_pos0_after_BOS_first8").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var logits = TestModels.Stories260K.ComputeLogits([1]);
        for (var i = 0; i < expected.Length; i++) Assert.InRange(logits[i], expected[i] - 1e-4f, expected[i] + 1e-4f);
    }
}
