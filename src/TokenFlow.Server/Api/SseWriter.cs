using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace TokenFlow.Server.Api;

/// <summary>
/// Writes OpenAI-framed server-sent events (<c>data: {json}\n\n</c>, then <c>data: [DONE]\n\n</c>)
/// straight into the response pipe. Chunks are written by hand so that null fields appear exactly
/// where OpenAI puts them (finish_reason: null; usage only with include_usage).
/// </summary>
public sealed class SseWriter(PipeWriter pipe, bool chat, string id, long created, string model, bool includeUsage)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Suffix = "\n\n"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private Utf8JsonWriter? _writer;
    private Utf8JsonWriter Json => _writer ??= new Utf8JsonWriter(_buffer, Options);

    /// <summary>A content chunk; <paramref name="role"/> only in a chat stream's first chunk.</summary>
    public void Chunk(string? text, string? finishReason, Usage? continuousUsage = null, string? role = null, object? logprobs = null)
    {
        var w = Begin();
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        if (chat)
        {
            w.WriteStartObject("delta");
            if (role is not null) w.WriteString("role", role);
            if (text is not null) w.WriteString("content", text);
            w.WriteEndObject();
        }
        else w.WriteString("text", text ?? "");
        if (logprobs is null) w.WriteNull("logprobs");
        else
        {
            w.WritePropertyName("logprobs");
            JsonSerializer.Serialize(w, logprobs, logprobs.GetType(), ApiJson.Options);
        }
        if (finishReason is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        if (continuousUsage is not null) WriteUsage(w, continuousUsage);
        else if (includeUsage) w.WriteNull("usage");
        End(w);
    }

    /// <summary>The final usage chunk of stream_options.include_usage: empty choices.</summary>
    public void UsageChunk(Usage usage)
    {
        var w = Begin();
        w.WriteStartArray("choices");
        w.WriteEndArray();
        WriteUsage(w, usage);
        End(w);
    }

    public void Done() => pipe.Write("data: [DONE]\n\n"u8);

    private void Header(Utf8JsonWriter w)
    {
        w.WriteString("id", id);
        w.WriteString("object", chat ? "chat.completion.chunk" : "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
    }

    private static void WriteUsage(Utf8JsonWriter w, Usage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", u.PromptTokens);
        w.WriteNumber("completion_tokens", u.CompletionTokens);
        w.WriteNumber("total_tokens", u.TotalTokens);
        w.WriteEndObject();
    }

    /// <summary>Starts an event's JSON object with the common fields; one writer and buffer serve every event of the stream.</summary>
    private Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        Json.Reset(_buffer);
        Json.WriteStartObject();
        Header(Json);
        return Json;
    }

    private void End(Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.Flush();
        pipe.Write(Prefix);
        pipe.Write(_buffer.WrittenSpan);
        pipe.Write(Suffix);
    }
}
