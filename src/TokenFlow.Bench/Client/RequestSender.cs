using System.Net.Http.Headers;
using System.Text;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;

namespace TokenFlow.Bench.Client;

/// <summary>
/// Sends one streaming request and records it: every SSE chunk is timestamped when its bytes are read.
/// Every failure (refused, HTTP error, broken or malformed stream, timeout) ends up in the record, never as an exception.
/// </summary>
public sealed class RequestSender(HttpClient http, BenchClientOptions options, string model, BenchClock clock, BenchProgress progress)
{
    private readonly Uri _endpoint = new(options.BaseUrl, options.Endpoint.Path());

    public async Task<BenchRequestRecord> SendAsync(BenchRequestSpec spec, CancellationToken ct)
    {
        var body = RequestBodyWriter.Streaming(options, model, spec.Prompt, spec.OutputLength, spec.Rate);
        var chunkTimes = new List<double>(spec.OutputLength + 1);
        var chunkChars = new List<int>(spec.OutputLength + 1);
        int? usageCompletion = null, usagePrompt = null;
        string? error = null, message = null;
        var done = false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.RequestTimeout);
        var sentAt = clock.Now;
        progress.OnSent();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            HttpResponseMessage response;
            try { response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token); }
            catch (HttpRequestException e) { return Fail(ErrorKinds.OfSend(e), e.Message); }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                    return Fail(ErrorKinds.Http((int)response.StatusCode), await ErrorText(response, timeout.Token));
                await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
                var parser = new SseParser();
                var buffer = new byte[16 * 1024];
                void OnEvent(SseEvent e)
                {
                    if (done || error is not null) return;
                    var c = StreamChunk.Parse(e.Data.Span);
                    if (c.Done) { done = true; return; }
                    if (c.Error is not null) { error = ErrorKinds.StreamError; message = c.Error; return; }
                    if (c.CompletionTokens is { } u) usageCompletion = u;
                    if (c.PromptTokens is { } p) usagePrompt = p;
                    if (!c.HasText) return;
                    chunkTimes.Add(e.Time);
                    chunkChars.Add(c.TextChars);
                    if (chunkTimes.Count == 1) progress.OnFirstToken(spec.Id, e.Time - sentAt, spec.Rate, e.Time);
                    else progress.OnTokens(spec.Id, e.Time, 1);
                }
                try
                {
                    while (!done && error is null)
                    {
                        var n = await stream.ReadAsync(buffer, timeout.Token);
                        var now = clock.Now; // stamp before parsing: parsing is the bench's cost, not the server's
                        if (n == 0) { parser.Complete(now, OnEvent); break; }
                        parser.Feed(buffer.AsSpan(0, n), now, OnEvent);
                    }
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    error = ErrorKinds.BrokenStream;
                    message = e.Message;
                }
                if (error is null && !done) { error = ErrorKinds.BrokenStream; message = "stream ended without data: [DONE]"; }
            }
        }
        catch (OperationCanceledException)
        {
            error = ct.IsCancellationRequested ? ErrorKinds.Cancelled : ErrorKinds.Timeout;
            message = ct.IsCancellationRequested ? "cancelled" : $"no complete response within {options.RequestTimeout.TotalSeconds:0.#} s";
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            error = ErrorKinds.ConnectionError;
            message = e.Message;
        }
        return Record(error, message);

        BenchRequestRecord Fail(string kind, string why) { error = kind; message = why; return Record(kind, why); }

        BenchRequestRecord Record(string? kind, string? why)
        {
            var tokenTimes = TokenTimeline.Build(chunkTimes, chunkChars, usageCompletion);
            progress.OnFinished(spec.Id, chunkTimes.Count > 0, kind);
            return new BenchRequestRecord
            {
                Id = spec.Id,
                PlannedArrival = spec.ArrivalTime,
                SentAt = sentAt,
                Rate = spec.Rate,
                PromptLength = spec.PromptLength,
                PromptTokens = usagePrompt,
                OutputLength = spec.OutputLength,
                OutputTokens = tokenTimes.Length,
                Chunks = chunkTimes.Count,
                Completed = kind is null,
                Error = kind,
                ErrorMessage = why,
                EndAt = clock.Now,
                TokenTimes = tokenTimes,
                ChunkTimes = tokenTimes.Length == chunkTimes.Count ? null : [.. chunkTimes],
            };
        }
    }

    /// <summary>The server's error message (OpenAI shape or plain text), first line, capped.</summary>
    internal static async Task<string> ErrorText(HttpResponseMessage response, CancellationToken ct)
    {
        string text;
        try { text = await response.Content.ReadAsStringAsync(ct); }
        catch (Exception e) when (e is IOException or HttpRequestException) { text = ""; }
        var msg = text;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("error", out var err))
                msg = err.ValueKind == System.Text.Json.JsonValueKind.Object && err.TryGetProperty("message", out var m) ? m.ToString() : err.ToString();
        }
        catch (System.Text.Json.JsonException) { }
        msg = msg.Split('\n')[0].Trim();
        if (msg.Length > 200) msg = msg[..200] + "…";
        var sb = new StringBuilder($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        if (msg.Length > 0) sb.Append(": ").Append(msg);
        return sb.ToString();
    }
}
