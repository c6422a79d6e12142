using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TokenFlow.Inference;
using TokenFlow.Inference.Bench;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Model;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Cli.Commands;

/// <summary><c>tokenflow model info | synth | bench</c>.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var cmd = new Command("model", "Inspect, synthesize and benchmark model files");
        cmd.Subcommands.Add(Info());
        cmd.Subcommands.Add(Synth());
        cmd.Subcommands.Add(Bench());
        return cmd;
    }

    private static Command Info()
    {
        var file = new Argument<string>("FILE") { Description = "GGUF or llama2.c .bin model" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer replacing the model's: tokenizer.json, a vocabulary GGUF, or a llama2.c tokenizer.bin" };
        var cmd = new Command("info", "Print architecture, shape, tensor types and tokenizer") { file, tokenizer };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var path = ModelFiles.Resolve(p.GetValue(file)!);
            using var m = LoadedModel.Load(path, p.GetValue(tokenizer));
            var c = m.Config;
            var o = Console.Out;
            o.WriteLine($"file:          {Path.GetFullPath(path)} ({new FileInfo(path).Length:N0} bytes)");
            o.WriteLine($"format:        {m.Format}");
            o.WriteLine($"name:          {m.Name}");
            WriteWeightInfo(o, m, path);
            o.WriteLine($"shape:         dim {c.Dim}, hidden {c.HiddenDim}, layers {c.Layers}, heads {c.Heads}, kv_heads {c.KvHeads}, head_dim {c.HeadDim}");
            o.WriteLine($"vocab:         {c.VocabSize}");
            o.WriteLine($"context:       {c.ContextLength}");
            o.WriteLine($"rope:          theta {c.RopeTheta.ToString(CultureInfo.InvariantCulture)}, {(m.Format == "gguf" ? c.Rope.ToString() : "adjacent pairs (run.c)")}{(c.SlidingWindow is { } sw ? $", sliding window {sw} (positions capped there)" : "")}");
            o.WriteLine($"norm eps:      {c.NormEps.ToString(CultureInfo.InvariantCulture)}");
            o.WriteLine($"classifier:    {(m.TiedClassifier ? "tied to token embedding" : "separate")}");
            o.WriteLine($"kv per token:  {m.KvBytesPerToken:N0} bytes (fp32)");
            TokenizerInfo.Write(o, m);
            if (m.Format == "gguf")
            {
                using var g = GgufFile.Open(path);
                o.WriteLine($"gguf:          v{g.Version}, {g.Metadata.Count} metadata keys, {g.Tensors.Count} tensors");
                foreach (var tensor in g.Tensors.Take(12)) o.WriteLine($"  {tensor.Name,-28} {GgmlTypeInfo.Name(tensor.Type),-5} {tensor.Shape}");
                if (g.Tensors.Count > 12) o.WriteLine($"  … {g.Tensors.Count - 12} more");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>Architecture and the type of every tensor with counts (the weights half of <c>model info</c>).</summary>
    private static void WriteWeightInfo(TextWriter o, LoadedModel m, string path)
    {
        o.WriteLine($"architecture:  {m.Config.Architecture}");
        if (m.Format == "gguf")
        {
            using var g = GgufFile.Open(path);
            var counts = g.Tensors.GroupBy(t => t.Type).OrderBy(t => t.Key).Select(t => $"{GgmlTypeInfo.Name(t.Key)}×{t.Count()}");
            o.WriteLine($"tensor types:  {string.Join(", ", counts)} ({g.Tensors.Count} tensors)");
            var matrices = g.Tensors.Where(t => t.Dims.Length == 2).GroupBy(t => t.Type).OrderBy(t => t.Key)
                .Select(t => $"{GgmlTypeInfo.Name(t.Key)}: {string.Join(", ", t.Select(x => RoleOf(x.Name)).Distinct())}");
            o.WriteLine($"matrices:      {string.Join("; ", matrices)}");
            o.WriteLine($"kernels:       integer dot products on Q8 activations, {Inference.Quantization.QuantKernels.Path} path");
        }
        else o.WriteLine($"tensor types:  {string.Join(", ", m.TensorTypes.Select(kv => $"{kv.Key}×{kv.Value}"))}");
    }

    private static string RoleOf(string tensor)
    {
        var parts = tensor.Split('.');
        return parts.Length >= 3 && parts[0] == "blk" ? parts[2] : parts[0];
    }

    private static Command Synth()
    {
        var shape = new Option<string>("--shape") { Description = $"One of {string.Join(", ", SynthShapes.All.Keys.Concat(RealShapeSynthesizer.Shapes.Keys))}", Required = true };
        var seed = new Option<int>("--seed") { Description = "Weight seed", DefaultValueFactory = _ => 1 };
        var type = new Option<string>("--type") { Description = $"f32, f16 or q8_0; for {string.Join(", ", RealShapeSynthesizer.Shapes.Keys)}: {string.Join(", ", RealShapeSynthesizer.Types)}", DefaultValueFactory = _ => "f32" };
        var vocab = new Option<string?>("--vocab") { Description = "Vocabulary GGUF whose tokenizer.* keys are copied (default: the shape's file in models/oracle/tokenizers)" };
        var output = new Option<string>("--out") { Description = "Output .gguf", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "32k llama2.c tokenizer.bin to embed (default: models/llama2-tokenizer/tokenizer.bin)" };
        var cmd = new Command("synth", "Write a GGUF v3 model with seeded random weights at a real shape") { shape, seed, type, output, tokenizer, vocab };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            if (RealShapeSynthesizer.Shapes.TryGetValue(p.GetValue(shape)!, out var real))
            {
                var t = p.GetValue(type)!.ToLowerInvariant();
                if (!RealShapeSynthesizer.Types.Contains(t)) throw new CliException($"--type for {real.Name} must be one of {string.Join(", ", RealShapeSynthesizer.Types)}, not '{t}'");
                var vocabPath = p.GetValue(vocab) ?? Path.Combine(ModelPaths.ModelsDir(), "oracle", "tokenizers", real.Vocabulary);
                if (!File.Exists(vocabPath)) throw new CliException($"{vocabPath}: vocabulary GGUF not found (--vocab)");
                var outFile = p.GetValue(output)!;
                var timer = Stopwatch.StartNew();
                RealShapeSynthesizer.Write(outFile, real, t, vocabPath, p.GetValue(seed));
                Console.WriteLine($"wrote {outFile} ({new FileInfo(outFile).Length:N0} bytes, {real.Name} {t}) in {timer.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            var config = SynthShapes.Get(p.GetValue(shape)!);
            var ggml = p.GetValue(type)!.ToLowerInvariant() switch
            {
                "f32" => GgmlType.F32,
                "f16" => GgmlType.F16,
                "q8_0" => GgmlType.Q8_0,
                var other => throw new CliException($"--type must be f32, f16 or q8_0, not '{other}'"),
            };
            var tokPath = p.GetValue(tokenizer) ?? ModelPaths.Llama2Tokenizer();
            var tok = SentencePieceBpeTokenizer.LoadLlama2c(tokPath, config.VocabSize);
            var outPath = p.GetValue(output)!;
            var sw = Stopwatch.StartNew();
            GgufSynthesizer.Write(outPath, config, tok, p.GetValue(seed), ggml, $"synthetic-{p.GetValue(shape)}-{p.GetValue(seed)}");
            Console.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length:N0} bytes, {ggml}) in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return cmd;
    }

    private static string LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a"; }
        catch (IOException) { return "n/a"; }
    }

    private static Command Bench()
    {
        var model = new Option<string?>("--model") { Description = "Model file (default: stories260K)" };
        var batches = new Option<string>("--batch") { Description = "Comma-separated batch sizes", DefaultValueFactory = _ => "1,8,32" };
        var prompt = new Option<int>("--prompt-tokens") { DefaultValueFactory = _ => 128 };
        var gen = new Option<int>("--gen-tokens") { DefaultValueFactory = _ => 128 };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (default: all cores)" };
        var repeat = new Option<int>("--repeat") { Description = "Runs per batch size; the run with the median decode rate is shown", DefaultValueFactory = _ => 3 };
        var cmd = new Command("bench", "Prefill and decode throughput per batch size (like llama-batched-bench)") { model, batches, prompt, gen, threads, repeat };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var sizes = p.GetValue(batches)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out var b) && b > 0 ? b : throw new CliException($"--batch: '{s}' is not a positive integer")).ToArray();
            var pp = p.GetValue(prompt);
            var tg = p.GetValue(gen);
            if (pp < 1) throw new CliException("--prompt-tokens must be at least 1");
            if (tg < 2) throw new CliException("--gen-tokens must be at least 2");
            if (p.GetValue(threads) is < 1) throw new CliException("--threads must be at least 1");
            var runs = p.GetValue(repeat);
            if (runs < 1) throw new CliException("--repeat must be at least 1");
            using var m = LoadedModel.Load(ModelPaths.ResolveModel(p.GetValue(model)));
            if (pp + tg > m.Config.MaxPositions) throw new CliException($"--prompt-tokens + --gen-tokens exceeds the model's positions");
            var t = p.GetValue(threads) ?? Environment.ProcessorCount;
            Console.WriteLine($"model {m.Name} ({m.Format}, {string.Join(", ", m.TensorTypes.Keys)}), threads {t}, prompt {pp}, gen {tg}");
            ModelBenchmark.Run(m, 1, Math.Min(pp, 16), 4, t); // warm-up: JIT and page-in
            var ceilingBefore = WeightStream.MeasureBytesPerSecond(m, t);
            Console.WriteLine($"{"B",4} {"prefill tok/s",14} {"decode tok/s",13} {"decode range",15} {"per stream",11} {"prefill s",10} {"decode s",9} {"decode tok/cpu-s",17}");
            double? single = null;
            foreach (var b in sizes)
            {
                var all = Enumerable.Range(0, runs).Select(_ => ModelBenchmark.Run(m, b, pp, tg, t)).OrderBy(r => r.DecodeTokensPerSecond).ToList();
                var r = all[runs / 2];
                if (b == 1) single = r.DecodeTokensPerSecond;
                var range = $"{all[0].DecodeTokensPerSecond:N0}-{all[^1].DecodeTokensPerSecond:N0}";
                Console.WriteLine($"{b,4} {r.PrefillTokensPerSecond,14:N0} {r.DecodeTokensPerSecond,13:N0} {range,15} {r.DecodeTokensPerSecond / b,11:N1} {r.PrefillSeconds,10:F3} {r.DecodeSeconds,9:F3} {r.DecodeTokensPerCpuSecond,17:N0}");
            }
            var rate = (ceilingBefore + WeightStream.MeasureBytesPerSecond(m, t)) / 2;
            var perToken = WeightStream.BytesPerToken(m);
            var ceiling = rate / perToken;
            Console.WriteLine($"weights read per decoded token: {perToken / (1024.0 * 1024):N1} MiB; streamed now at {rate / 1e9:N1} GB/s, so B=1 decode cannot exceed ~{ceiling:N0} tok/s"
                + (single is { } s1 ? $" (measured {s1 / ceiling:P0} of that)" : ""));
            Console.WriteLine($"load average: {LoadAverage()} (median of {runs} runs; figures are wall-clock; tok/cpu-s is this process's CPU time)");
            Console.WriteLine($"peak RSS: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):N1} MiB");
            return 0;
        }));
        return cmd;
    }
}
