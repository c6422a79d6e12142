using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TokenFlow.Core.Requests;
using TokenFlow.Inference.Sampling;
using TokenFlow.Inference.Sampling.Json;
using TokenFlow.Server.Engine;

namespace TokenFlow.Server.Api;

/// <summary>
/// The life of one completion or chat request over HTTP: parse, admit (429 when the queue is full),
/// wait for the first token (503 after the queue timeout), then answer whole or as SSE. Whatever
/// ends the exchange — done, error, disconnect — the request is aborted in the engine if still live.
/// </summary>
public static class GenerationHandler
{
    public static async Task HandleAsync(HttpContext http, ServerState state, bool chat)
    {
        var root = await RequestBody.ReadJsonAsync(http, state.Options.MaxBodyBytes);
        GenerationRequest g;
        try { g = chat ? state.Parser.ParseChat(root.RootElement, http.Request) : state.Parser.ParseCompletion(root.RootElement, http.Request); }
        finally { root.Dispose(); }

        var runner = state.Runner;
        QueueDelayAdmission.Check(state);
        if (!runner.TryReserveQueueSlot(state.Options.MaxNumQueuedReqs))
            throw new ApiException(429, $"The server is busy: {state.Options.MaxNumQueuedReqs} requests are already waiting. Retry later.", "rate_limit_error", null, "rate_limit_exceeded") { RetryAfter = 1 };

        var id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        var stopIds = g.StopTokenIds is null ? state.Model.StopTokenIds : new HashSet<int>(state.Model.StopTokenIds.Concat(g.StopTokenIds));
        var sampler = SamplerState.Create(g.Sampling.Seed ?? state.NextSeed());
        if (g.JsonObject)
        {
            var ends = new HashSet<int>(stopIds);
            if (state.EosTokenId is { } eos) ends.Add(eos);
            sampler = new SamplerState(sampler.Rng) { Constraint = new JsonObjectConstraint(state.JsonVocabulary, ends) };
        }
        var request = new Request(id, g.PromptTokens, g.MaxTokens, g.ConsumptionRate, runner.Clock.Now, g.Sampling, g.Priority)
        {
            IgnoreEos = g.IgnoreEos,
            MinTokens = g.MinTokens,
            StopTokenIds = stopIds,
            SamplerState = sampler,
        };
        var sink = runner.Submit(request, watched: true);
        var ct = http.RequestAborted;
        // Airtight: the disconnect aborts at once, wherever the handler is; the finally covers every other exit.
        using var onAbort = ct.Register(static s => { var (r, k) = ((EngineRunner, StreamSink))s!; r.Abort(k); }, (runner, sink));
        var logprobs = g.Sampling.Logprobs is { } top ? new LogprobsCollector(state.TokenText, chat, top, g.EchoText?.Length ?? 0) : null;
        var exchange = new Exchange(g, sink, sampler, logprobs, chat, id, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        try
        {
            await WaitForStartAsync(state, sink, ct);
            exchange.Ttft = runner.Clock.Now - request.ArrivalTime;
            if (g.Stream) await StreamAsync(http, state, exchange, ct);
            else await AnswerWholeAsync(http, state, exchange, ct);
        }
        finally
        {
            runner.Abort(sink);
            runner.HandlerEnded(sink);
            if (state.Options.LogRequests) LogFinished(state, exchange);
        }
    }

    /// <summary>What one response needs besides the server state, and how it went (for the request log).</summary>
    private sealed record Exchange(GenerationRequest G, StreamSink Sink, SamplerState Sampler, LogprobsCollector? Logprobs, bool Chat, string Id, long Created)
    {
        public int Count { get; set; }
        public string Reason { get; set; } = "abort";
        public double Ttft { get; set; } = double.NaN;

        /// <summary>Reads the logprobs of the token just taken from the sink (the engine queues them before the token).</summary>
        public void OnToken()
        {
            if (Logprobs is not null && Sampler.Logprobs.TryDequeue(out var lp)) Logprobs.Add(lp);
        }
    }

    /// <summary>A stop string ended the text: the engine's request is aborted, but it counts as a "stop".</summary>
    private static void EndOnStopString(ServerState state, StreamSink sink)
    {
        sink.MarkStoppedByString();
        state.Runner.Abort(sink);
    }

    private static async Task WaitForStartAsync(ServerState state, StreamSink sink, CancellationToken ct)
    {
        if (state.Options.QueueTimeout is not { } timeout) { await sink.Started.WaitAsync(ct); }
        else
        {
            try { await sink.Started.WaitAsync(timeout, ct); }
            catch (TimeoutException)
            {
                // Past the timeout: give up only while the request still waits (admitted ones are about to produce).
                while (!sink.Started.IsCompleted)
                {
                    if (sink.State == RequestState.Waiting)
                    {
                        state.Runner.Abort(sink);
                        throw new ApiException(503, $"The request waited longer than the queue timeout ({timeout.TotalSeconds:0.###} s) and was removed. Retry later.", "server_error", null, "queue_timeout") { RetryAfter = 1 };
                    }
                    try { await sink.Started.WaitAsync(TimeSpan.FromMilliseconds(50), ct); } catch (TimeoutException) { }
                }
            }
        }
        if (sink.FinishReason == FinishReason.Abort && !sink.IsCancelled && sink.Tokens.Count == 0) ThrowEngineEnded(sink);
    }

    private static void ThrowEngineEnded(StreamSink sink) =>
        throw (sink.EngineFault
            ? new ApiException(500, "The engine failed while running this request.", "server_error", null, "engine_error")
            : new ApiException(503, "The server is shutting down.", "server_error", null, "shutting_down") { RetryAfter = 1 });

    private static string Reason(StreamSink sink, TextAssembler text) =>
        text.Stopped || sink.FinishReason == FinishReason.Stop ? "stop" : "length";

    private static async Task AnswerWholeAsync(HttpContext http, ServerState state, Exchange x, CancellationToken ct)
    {
        var (g, sink) = (x.G, x.Sink);
        var text = new TextAssembler(state.Model.Tokenizer, g.StopStrings, g.SkipSpecialTokens ? state.SpecialTokens : [], g.PromptTokens);
        var sb = new StringBuilder(g.EchoText);
        var count = 0;
        var reader = sink.Tokens;
        while (!text.Stopped && await reader.WaitToReadAsync(ct))
            while (!text.Stopped && reader.TryRead(out var token)) { count++; x.OnToken(); sb.Append(text.Push(token)); }
        if (text.Stopped) EndOnStopString(state, sink);
        else if (sink.FinishReason == FinishReason.Abort) ThrowEngineEnded(sink);
        sb.Append(text.Finish());
        var usage = Usage.Of(g.PromptTokens.Length, count);
        var reason = Reason(sink, text);
        var logprobs = x.Logprobs?.Drain();
        object body = x.Chat
            ? new ChatCompletionResponse(x.Id, "chat.completion", x.Created, state.ModelName, [new ChatChoice(0, new ChatMessageDto("assistant", sb.ToString()), logprobs, reason)], usage)
            : new CompletionResponse(x.Id, "text_completion", x.Created, state.ModelName, [new CompletionChoice(0, sb.ToString(), logprobs, reason)], usage);
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, body, body.GetType(), ApiJson.Options, ct);
        (x.Count, x.Reason) = (count, reason);
    }

    private static async Task StreamAsync(HttpContext http, ServerState state, Exchange x, CancellationToken ct)
    {
        var (g, sink, chat) = (x.G, x.Sink, x.Chat);
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var pipe = response.BodyWriter;
        var sse = new SseWriter(pipe, chat, x.Id, x.Created, state.ModelName, g.IncludeUsage);
        var text = new TextAssembler(state.Model.Tokenizer, g.StopStrings, g.SkipSpecialTokens ? state.SpecialTokens : [], g.PromptTokens);
        var prompt = g.PromptTokens.Length;
        var count = 0;
        if (chat) sse.Chunk("", null, g.ContinuousUsage ? Usage.Of(prompt, 0) : null, role: "assistant");
        if (g.EchoText is { Length: > 0 } echo) sse.Chunk(echo, null, g.ContinuousUsage ? Usage.Of(prompt, 0) : null);

        var reader = sink.Tokens;
        while (!text.Stopped && await reader.WaitToReadAsync(ct))
        {
            // Everything already buffered goes out in one flush: a slow client gets batches, the engine never waits.
            while (!text.Stopped && reader.TryRead(out var token))
            {
                count++;
                x.OnToken();
                var piece = text.Push(token);
                // With logprobs every token gets its own chunk, so each chunk's logprobs match its tokens.
                if (piece.Length > 0 || g.ContinuousUsage || x.Logprobs is not null)
                    sse.Chunk(piece, null, g.ContinuousUsage ? Usage.Of(prompt, count) : null, logprobs: x.Logprobs?.Drain());
            }
            var flushed = await pipe.FlushAsync(ct);
            x.Count = count;
            if (flushed.IsCompleted || flushed.IsCanceled) { state.Runner.Abort(sink); return; }
        }
        if (text.Stopped) EndOnStopString(state, sink);
        else if (sink.FinishReason == FinishReason.Abort)
        {
            // Headers are gone: end the stream with an error event, as vLLM does, and no [DONE].
            var message = sink.EngineFault ? "The engine failed while running this request." : "The server is shutting down.";
            var err = JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(new ErrorBody(message, "server_error", null, null)), ApiJson.Options);
            pipe.Write("data: "u8); pipe.Write(err); pipe.Write("\n\n"u8);
            await pipe.FlushAsync(ct);
            return;
        }
        var tail = text.Finish();
        if (tail.Length > 0) sse.Chunk(tail, null, g.ContinuousUsage ? Usage.Of(prompt, count) : null);
        var usage = Usage.Of(prompt, count);
        var reason = Reason(sink, text);
        sse.Chunk(chat ? null : "", reason, g.ContinuousUsage ? usage : null);
        if (g.IncludeUsage) sse.UsageChunk(usage);
        sse.Done();
        await pipe.FlushAsync(ct);
        (x.Count, x.Reason) = (count, reason);
    }

    private static void LogFinished(ServerState state, Exchange x)
    {
        var r = x.Sink.Request;
        state.RequestLog.LogInformation("{Id} {Kind} finished: {Reason}, {Prompt} prompt + {Generated} generated tokens, TTFT {Ttft:0.000} s, total {Elapsed:0.000} s, rate {Rate} tok/s",
            x.Id, x.Chat ? "chat" : "completion", x.Reason, x.G.PromptTokens.Length, x.Count, x.Ttft, state.Runner.Clock.Now - r.ArrivalTime, r.Rate);
    }
}
