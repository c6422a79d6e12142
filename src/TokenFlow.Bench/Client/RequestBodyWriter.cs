using System.Buffers;
using System.Text.Json;

namespace TokenFlow.Bench.Client;

/// <summary>Writes the OpenAI request body: standard fields, vLLM's length fields, and TokenFlow's consumption_rate.</summary>
public static class RequestBodyWriter
{
    public static byte[] Streaming(BenchClientOptions o, string model, string prompt, int maxTokens, double rate)
    {
        var buffer = new ArrayBufferWriter<byte>(prompt.Length + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteHead(w, o, model, prompt, maxTokens);
            w.WriteBoolean("stream", true);
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
            if (o.Temperature is { } t) w.WriteNumber("temperature", t);
            if (o.VllmExtensions)
            {
                w.WriteBoolean("ignore_eos", true);
                w.WriteNumber("min_tokens", maxTokens);
            }
            if (o.SendConsumptionRate) w.WriteNumber("consumption_rate", rate);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A non-streaming one-token completion: used to probe the server and measure its tokenizer.</summary>
    public static byte[] Probe(BenchClientOptions o, string model, string prompt)
    {
        var buffer = new ArrayBufferWriter<byte>(prompt.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteHead(w, o, model, prompt, 1);
            w.WriteBoolean("stream", false);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Opens the body: model, then the prompt as a completion prompt or a single user message, and the length limit.</summary>
    private static void WriteHead(Utf8JsonWriter w, BenchClientOptions o, string model, string prompt, int maxTokens)
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        if (o.Endpoint == EndpointKind.ChatCompletions)
        {
            w.WriteStartArray("messages");
            w.WriteStartObject();
            w.WriteString("role", "user");
            w.WriteString("content", prompt);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteNumber("max_completion_tokens", maxTokens);
        }
        else
        {
            w.WriteString("prompt", prompt);
            w.WriteNumber("max_tokens", maxTokens);
        }
    }
}
