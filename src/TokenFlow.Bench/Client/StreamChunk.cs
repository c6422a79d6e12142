using System.Text.Json;

namespace TokenFlow.Bench.Client;

/// <summary>What one OpenAI streaming chunk tells the bench: its text size, any usage, any error.</summary>
public readonly record struct StreamChunk(int TextChars, int? PromptTokens, int? CompletionTokens, string? Error, bool Done)
{
    public bool HasText => TextChars > 0;

    private static readonly byte[] DoneMarker = "[DONE]"u8.ToArray();

    /// <summary>Reads completions ("text") and chat ("delta.content", "delta.reasoning_content") chunks alike.</summary>
    public static StreamChunk Parse(ReadOnlySpan<byte> data)
    {
        var trimmed = data.Trim((byte)' ');
        if (trimmed.SequenceEqual(DoneMarker)) return new StreamChunk(0, null, null, null, true);
        try
        {
            var reader = new Utf8JsonReader(trimmed);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new StreamChunk(0, null, null, "chunk is not a JSON object", false);
            if (root.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null)
            {
                var msg = err.ValueKind == JsonValueKind.Object && err.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : err.GetRawText();
                return new StreamChunk(0, null, null, msg ?? "error", false);
            }
            var chars = 0;
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
                foreach (var c in choices.EnumerateArray())
                {
                    chars += Len(c, "text");
                    if (c.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                        chars += Len(delta, "content") + Len(delta, "reasoning_content");
                }
            int? prompt = null, completion = null;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                if (usage.TryGetProperty("prompt_tokens", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var pv)) prompt = pv;
                if (usage.TryGetProperty("completion_tokens", out var ct) && ct.ValueKind == JsonValueKind.Number && ct.TryGetInt32(out var cv)) completion = cv;
            }
            return new StreamChunk(chars, prompt, completion, null, false);
        }
        catch (JsonException e) { return new StreamChunk(0, null, null, "invalid JSON in stream: " + e.Message.Split('\n')[0], false); }
    }

    private static int Len(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!.Length : 0;
}
