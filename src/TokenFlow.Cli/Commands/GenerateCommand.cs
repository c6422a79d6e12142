using System.CommandLine;
using System.Text.Json;
using TokenFlow.Core.Requests;
using TokenFlow.Inference;
using TokenFlow.Inference.Engine;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow generate</c>: one prompt through the real engine, streaming text to stdout.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model file: GGUF or llama2.c .bin (default: TOKENFLOW_MODEL, else stories260K from the models folder)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer replacing the model's: tokenizer.json, a vocabulary GGUF, or a llama2.c tokenizer.bin (default: GGUF metadata, or beside a .bin model)" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 0.9f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong?>("--seed") { Description = "RNG seed (default: random)" };
        var json = new Option<bool>("--json") { Description = "Print {\"prompt_tokens\",\"tokens\",\"text\"} instead of streaming" };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Comma-separated token ids used as the prompt exactly as given (no BOS added); replaces --prompt" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Generate exactly --max-tokens, through EOS and stop tokens" };
        var logits = new Option<bool>("--logits") { Description = "With --json: add last_logits, all logits after the prompt" };
        var cmd = new Command("generate", "Generate text from a prompt with the CPU engine") { model, tokenizer, prompt, maxTokens, temperature, topP, topK, seed, json, threads, promptIds, ignoreEos, logits };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var max = p.GetValue(maxTokens);
            var t = p.GetValue(temperature);
            var tp = p.GetValue(topP);
            var tk = p.GetValue(topK);
            if (max < 1) throw new CliException("--max-tokens must be at least 1");
            if (t < 0 || float.IsNaN(t)) throw new CliException("--temperature must be >= 0");
            if (!(tp > 0 && tp <= 1)) throw new CliException("--top-p must be in (0, 1]");
            if (tk < 0) throw new CliException("--top-k must be >= 0");
            if (p.GetValue(threads) is < 1) throw new CliException("--threads must be at least 1");
            using var m = LoadedModel.Load(ModelPaths.ResolveModel(p.GetValue(model)), p.GetValue(tokenizer));
            var sampling = new SamplingParams
            {
                Temperature = t,
                TopP = tp,
                TopK = tk,
                Seed = p.GetValue(seed),
                // llama2.c models reproduce run.c's sampler exactly (its top-p cut-off and RNG).
                RunCCompatible = m.Format == "llama2c" && tk == 0,
            };
            var asJson = p.GetValue(json);
            if (p.GetValue(logits) && !asJson) throw new CliException("--logits needs --json");
            var ids = p.GetValue(promptIds);
            if (ids is not null && !string.IsNullOrEmpty(p.GetValue(prompt))) throw new CliException("give --prompt or --prompt-ids, not both");
            var promptTokens = ids is null ? m.Tokenizer.Encode(p.GetValue(prompt) ?? "") : ParseIds(ids, m.Config.VocabSize);
            var stdout = Console.Out;
            if (!asJson) stdout.Write(m.Tokenizer.Decode(promptTokens));
            var result = TextGenerator.Generate(m, promptTokens, max, sampling, asJson ? null : s => { stdout.Write(s); stdout.Flush(); }, p.GetValue(threads), p.GetValue(ignoreEos));
            if (asJson)
            {
                var fields = new Dictionary<string, object>
                {
                    ["prompt_tokens"] = result.PromptTokens,
                    ["tokens"] = result.Tokens,
                    ["text"] = result.Text,
                };
                // The executor's logits do not depend on threads or batching, so a separate pass gives the engine's values.
                if (p.GetValue(logits)) fields["last_logits"] = m.ComputeLogits(promptTokens, p.GetValue(threads));
                stdout.WriteLine(JsonSerializer.Serialize(fields));
            }
            else
            {
                stdout.WriteLine();
                Console.Error.WriteLine($"{result.Tokens.Length} tokens in {result.Seconds:F3} s ({result.Tokens.Length / result.Seconds:F1} tok/s, incl. prefill), finish: {result.FinishReason}");
            }
            return 0;
        }));
        return cmd;
    }

    private static int[] ParseIds(string text, int vocab)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]) || ids[i] >= vocab)
                throw new CliException($"--prompt-ids: '{parts[i]}' is not a token id in [0, {vocab})");
        }
        if (ids.Length == 0) throw new CliException("--prompt-ids is empty");
        return ids;
    }
}
