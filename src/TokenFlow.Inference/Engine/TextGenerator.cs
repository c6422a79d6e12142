using System.Diagnostics;
using System.Text;
using TokenFlow.Core.Engine;
using TokenFlow.Core.Requests;

namespace TokenFlow.Inference.Engine;

/// <summary>Synchronous single-prompt generation through the full engine (what <c>tokenflow generate</c> runs).</summary>
public static class TextGenerator
{
    public static GenerationResult Generate(LoadedModel model, string prompt, int maxTokens, SamplingParams? sampling = null,
        Action<string>? onText = null, int? threads = null) =>
        Generate(model, model.Tokenizer.Encode(prompt), maxTokens, sampling, onText, threads);

    /// <param name="onText">Receives generated text as it streams (never a broken UTF-8 character).</param>
    /// <param name="ignoreEos">Generate exactly <paramref name="maxTokens"/> (within the model's positions), through EOS and stop tokens.</param>
    public static GenerationResult Generate(LoadedModel model, int[] promptTokens, int maxTokens, SamplingParams? sampling = null,
        Action<string>? onText = null, int? threads = null, bool ignoreEos = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        if (promptTokens.Length == 0) throw new ArgumentException("the prompt has no tokens");
        const int bs = 16;
        var positions = model.Config.MaxPositions;
        if (promptTokens.Length >= positions) throw new ArgumentException($"the prompt has {promptTokens.Length} tokens; the model allows {positions} positions");
        maxTokens = Math.Min(maxTokens, positions - promptTokens.Length);
        var blocks = (promptTokens.Length + maxTokens + bs) / bs + 1;
        var options = new EngineOptions
        {
            MaxBatchedTokens = Math.Max(8192, promptTokens.Length),
            Kv = new Core.Kv.KvCacheOptions { BlockSize = bs, DeviceBlocks = blocks, HostBlocks = blocks, WriteThrough = false },
        };
        var observer = new StreamingObserver(model.Tokenizer, promptTokens, onText);
        using var engine = ModelEngineHost.Create(model, options, observer: observer, threads: threads);
        var request = new Request("generate", promptTokens, maxTokens, consumptionRate: 1e9, arrivalTime: engine.Clock.Now, sampling)
        {
            StopTokenIds = ignoreEos ? null : model.StopTokenIds,
            IgnoreEos = ignoreEos,
        };
        var sw = Stopwatch.StartNew();
        engine.Post(request);
        engine.RunUntilIdle();
        var tail = observer.Decoder.Flush();
        observer.Text.Append(tail);
        if (tail.Length > 0) onText?.Invoke(tail);
        return new GenerationResult(promptTokens, request.OutputTokens.ToArray(), observer.Text.ToString(), request.FinishReason, sw.Elapsed.TotalSeconds);
    }

    private sealed class StreamingObserver : IEngineObserver
    {
        private readonly Action<string>? _onText;

        public StreamingObserver(ITextTokenizer tokenizer, int[] prompt, Action<string>? onText)
        {
            _onText = onText;
            Decoder = tokenizer.CreateStreamingDecoder();
            foreach (var t in prompt) Decoder.Push(t); // primes "previous token" handling; prompt text is not part of the result
        }

        public IStreamingDecoder Decoder { get; }
        public StringBuilder Text { get; } = new();

        public void OnToken(Request request, int token, double time)
        {
            var s = Decoder.Push(token);
            if (s.Length == 0) return;
            Text.Append(s);
            _onText?.Invoke(s);
        }

        public void OnFinished(Request request) { }
    }
}
