using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TokenFlow.Server.Tests;

/// <summary>Raw HTTP helpers: post JSON, read an SSE stream event by event, wait for the engine to drain.</summary>
internal static class Sse
{
    public static HttpRequestMessage Post(string path, string json, string? apiKey = null)
    {
        var m = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null) m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return m;
    }

    /// <summary>Reads "data: ..." events until the stream ends; returns the raw data payloads in order.</summary>
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response)
    {
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var sb = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) { if (sb.Length > 0) { events.Add(sb.ToString()); sb.Clear(); } continue; }
            Assert.StartsWith("data: ", line);
            sb.Append(line[6..]);
        }
        Assert.Equal(0, sb.Length); // every event ends with a blank line
        return events;
    }

    /// <summary>Concatenated text of completion or chat chunks (everything before [DONE]).</summary>
    public static string Text(IEnumerable<string> events)
    {
        var sb = new StringBuilder();
        foreach (var e in events.TakeWhile(e => e != "[DONE]"))
        {
            using var d = JsonDocument.Parse(e);
            foreach (var c in d.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (c.TryGetProperty("text", out var t)) sb.Append(t.GetString());
                if (c.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)) sb.Append(content.GetString());
            }
        }
        return sb.ToString();
    }

    /// <summary>Polls until the engine holds no request and every KV block is free again.</summary>
    public static async Task WaitForIdleAsync(ServerHandle server, TimeSpan? timeout = null)
    {
        var kv = server.Engine.Kv;
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < until)
        {
            if (server.Runner.QueuedCount == 0 && server.Engine.ActiveCount == 0 && server.Engine.WaitingCount == 0
                && kv.Device.FreeCount == kv.Device.Total && kv.Host.FreeCount == kv.Host.Total && kv.Transfers.InFlight == 0)
                return;
            await Task.Delay(20);
        }
        Assert.Fail($"engine not idle: queued={server.Runner.QueuedCount} active={server.Engine.ActiveCount} waiting={server.Engine.WaitingCount} " +
            $"device free {kv.Device.FreeCount}/{kv.Device.Total} host free {kv.Host.FreeCount}/{kv.Host.Total}");
    }
}
