using System.Text;
using System.Text.Json.Nodes;

namespace TokenFlow.Router.Tests;

/// <summary>The server's kinds of hostile bodies and headers, sent through the router: no 5xx, and it still routes afterwards.</summary>
public sealed class RouterFuzzTests
{
    private static readonly string[] Fields = ["prompt", "messages", "max_tokens", "temperature", "stream", "stream_options", "n", "priority", "consumption_rate", "model", "stop"];

    private static readonly JsonNode?[] Hostile =
    [
        null, true, 0, -1, 511, 513, 2147483647, long.MaxValue, 1e308, -0.5, "", "\u0000", "😀", new string('z', 5000), "NaN",
        new JsonArray(), new JsonArray(-1), new JsonArray(100000), new JsonObject(), new JsonArray(new JsonObject { ["role"] = "user", ["content"] = 5 }),
    ];

    [Fact]
    public async Task HostileInputsThroughTheRouterNeverGive5xx()
    {
        await using var c = await TestCluster.StartAsync(2, tweak: o => o with { MaxBodyBytes = 64 * 1024 });
        var rng = new Random(4242);
        var cases = new List<Func<HttpRequestMessage>>();
        string[] paths = ["v1/completions", "v1/chat/completions", "tokenize", "detokenize"];
        foreach (var field in Fields)
            foreach (var value in Hostile)
                foreach (var chat in new[] { false, true })
                {
                    var f = field; var v = value?.DeepClone(); var ch = chat;
                    cases.Add(() => Json(ch ? "v1/chat/completions" : "v1/completions", Valid(ch, f, v)));
                }
        for (var i = 0; i < 80; i++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            var p = paths[i % paths.Length];
            cases.Add(() => Raw(p, bytes));
        }
        var valid = Valid(false, "prompt", "Once upon a time").ToJsonString();
        for (var cut = 0; cut < valid.Length; cut += 5) { var s = valid[..cut]; cases.Add(() => Raw("v1/completions", Encoding.UTF8.GetBytes(s))); }
        foreach (var bad in new byte[][] { [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF] })
            cases.Add(() => Raw("v1/completions", [.. "{\"prompt\":\"a"u8.ToArray(), .. bad, .. "\",\"max_tokens\":3}"u8.ToArray()]));
        foreach (var depth in new[] { 64, 65, 10000 })
            cases.Add(() => Raw("v1/completions", Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth))));
        cases.Add(() => Raw("v1/completions", new byte[100 * 1024])); // over the replica's body limit
        foreach (var r in new[] { "", "abc", "-5", "NaN", "Infinity", "1e400", "1,5" })
        { var rr = r; cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Headers.TryAddWithoutValidation("X-Consumption-Rate", rr); return m; }); }
        foreach (var ct in new[] { "text/plain", "garbage" })
        { var c2 = ct; cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Content!.Headers.Remove("Content-Type"); m.Content.Headers.TryAddWithoutValidation("Content-Type", c2); return m; }); }
        foreach (var auth in new[] { "Bearer", "Basic abc", new string('A', 4000) })
        { var a = auth; cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Headers.TryAddWithoutValidation("Authorization", a); return m; }); }
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete })
            foreach (var p in paths) { var mm = method; var pp = p; cases.Add(() => new HttpRequestMessage(mm, pp)); }
        cases.Add(() => new HttpRequestMessage(HttpMethod.Get, "v1/models/nope"));
        cases.Add(() => new HttpRequestMessage(HttpMethod.Get, "%2e%2e/%2e%2e/etc/passwd"));

        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, ct) =>
        {
            using var request = cases[i]();
            using var response = await c.Http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            lock (failures)
            {
                statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                if ((int)response.StatusCode >= 500) failures.Add($"{(int)response.StatusCode} for {request.Method} {request.RequestUri}: {text[..Math.Min(text.Length, 300)]}");
            }
        });
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(statuses.GetValueOrDefault(400) > 200, string.Join(", ", statuses.Select(kv => $"{kv.Key}: {kv.Value}")));
        using var ok = await c.Http.SendAsync(Json("v1/completions", Valid(false, "max_tokens", 8)));
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        Assert.All(c.Router.Replicas, r => Assert.True(r.Tracker.Healthy));
    }

    private static JsonObject Valid(bool chat, string field, JsonNode? value)
    {
        var o = chat
            ? new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }) }
            : new JsonObject { ["prompt"] = "Once upon a time" };
        o["max_tokens"] = 4;
        o["temperature"] = 0;
        o[field] = value;
        return o;
    }

    private static HttpRequestMessage Json(string path, JsonNode body) =>
        new(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    private static HttpRequestMessage Raw(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }
}
