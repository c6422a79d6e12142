using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace TokenFlow.Server.Tests;

/// <summary>Over 1,000 malformed or hostile bodies and headers: never a 5xx, and the server still serves afterwards.</summary>
public sealed class FuzzTests
{
    private static readonly string[] Fields =
        ["prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "seed", "stop", "stream", "stream_options",
         "n", "user", "priority", "ignore_eos", "min_tokens", "consumption_rate", "model", "stop_token_ids", "logprobs", "echo", "best_of"];

    private static readonly JsonNode?[] Hostile =
    [
        null, true, false, 0, -1, 1, 2, 3, 511, 512, 513, -2147483648, 2147483647, 4294967296L, long.MaxValue, long.MinValue, 1e308, -1e308, 1.5, 0.0000001, -0.5,
        "", " ", "x", "\u0000", "\ud7ff\ue000", "😀", new string('z', 5000), "NaN", "Infinity", "-1",
        new JsonArray(), new JsonArray(1, 2, 3), new JsonArray("a", "b"), new JsonArray(-1), new JsonArray(100000), new JsonArray(new JsonArray(1), new JsonArray(2)),
        new JsonArray(JsonValue.Create("a"), JsonValue.Create(1)), new JsonObject(), new JsonObject { ["include_usage"] = "yes" }, new JsonObject { ["role"] = "user" },
        new JsonArray(new JsonObject { ["role"] = "user", ["content"] = 5 }), new JsonArray(new JsonObject { ["role"] = 1, ["content"] = "x" }),
        new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "image_url" }) }),
    ];

    [Fact]
    public async Task HostileInputsNeverGive5xx()
    {
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { MaxBodyBytes = 64 * 1024 }));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        var rng = new Random(4242);
        var cases = new List<Func<HttpRequestMessage>>();
        string[] paths = ["v1/completions", "v1/chat/completions", "tokenize", "detokenize"];

        // 1. One hostile value in an otherwise valid request (max_tokens stays small unless it is the target).
        foreach (var field in Fields)
            foreach (var value in Hostile)
                foreach (var chat in new[] { false, true })
                {
                    var f = field; var v = value?.DeepClone(); var c = chat;
                    cases.Add(() => Json(c ? "v1/chat/completions" : "v1/completions", Valid(c, f, v)));
                }
        // 2. Random bytes, truncated JSON, invalid UTF-8, deep nesting, odd top-level values.
        for (var i = 0; i < 150; i++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            var p = paths[i % paths.Length];
            cases.Add(() => Raw(p, bytes));
        }
        var valid = Valid(false, "prompt", "Once upon a time").ToJsonString();
        for (var cut = 0; cut < valid.Length; cut += 3) { var s = valid[..cut]; cases.Add(() => Raw("v1/completions", Encoding.UTF8.GetBytes(s))); }
        foreach (var bad in new byte[][] { [0xC3, 0x28], [0xFF, 0xFE], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82] })
            foreach (var p in paths)
            {
                var body = Encoding.UTF8.GetBytes("{\"prompt\":\"a").Concat(bad).Concat(Encoding.UTF8.GetBytes("\",\"messages\":[{\"role\":\"user\",\"content\":\"")).Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}],\"max_tokens\":3,\"tokens\":[1]}")).ToArray();
                cases.Add(() => Raw(p, body));
            }
        foreach (var depth in new[] { 63, 64, 65, 1000, 10000 })
            cases.Add(() => Raw("v1/completions", Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth))));
        foreach (var top in new[] { "null", "1", "\"str\"", "[]", "true", "{}", "{\"prompt\":\"a\",\"prompt\":1}", "\uFEFF{\"prompt\":\"a\",\"max_tokens\":2}" })
            foreach (var p in paths) cases.Add(() => Raw(p, Encoding.UTF8.GetBytes(top)));
        // 3. Hostile headers.
        string[] rates = ["", "abc", "-5", "0", "NaN", "Infinity", "1e400", "1,5", "7;7", "99999999999", " 3 ", "\t"];
        foreach (var r in rates) { var rr = r; cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Headers.TryAddWithoutValidation("X-Consumption-Rate", rr); return m; }); }
        cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Headers.TryAddWithoutValidation("X-Consumption-Rate", ["1", "2"]); return m; });
        foreach (var ct in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "garbage" })
        { var c2 = ct; cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Content!.Headers.Remove("Content-Type"); m.Content.Headers.TryAddWithoutValidation("Content-Type", c2); return m; }); }
        foreach (var auth in new[] { "Bearer", "Bearer ", "Basic abc", new string('A', 4000) })
        { var a = auth; cases.Add(() => { var m = Json("v1/completions", Valid(false, "max_tokens", 2)); m.Headers.TryAddWithoutValidation("Authorization", a); return m; }); }
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
            foreach (var p in paths) { var mm = method; var pp = p; cases.Add(() => new HttpRequestMessage(mm, pp)); }
        cases.Add(() => new HttpRequestMessage(HttpMethod.Get, "v1/models/nope"));
        cases.Add(() => new HttpRequestMessage(HttpMethod.Get, "%2e%2e/%2e%2e/etc/passwd"));

        Assert.True(cases.Count >= 1000, $"only {cases.Count} cases");
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, ct) =>
        {
            using var request = cases[i]();
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(ct);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            lock (failures)
            {
                statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                if ((int)response.StatusCode >= 500) failures.Add($"{(int)response.StatusCode} for {request.Method} {request.RequestUri} {body[..Math.Min(body.Length, 200)]}: {text[..Math.Min(text.Length, 300)]}");
            }
        });
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(statuses.GetValueOrDefault(400) > 500, string.Join(", ", statuses.Select(kv => $"{kv.Key}: {kv.Value}")));

        // Still serving, and clean.
        var ok = await http.SendAsync(Json("v1/completions", Valid(false, "max_tokens", 8)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(0, server.Runner.EngineFaults);
        await Sse.WaitForIdleAsync(server);
    }

    private static JsonObject Valid(bool chat, string field, JsonNode? value)
    {
        var o = chat
            ? new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }) }
            : new JsonObject { ["prompt"] = "Once upon a time" };
        o["max_tokens"] = 4;
        o["temperature"] = 0;
        o[field] = value;
        if (field is "max_tokens" or "max_completion_tokens" && value is JsonValue v && v.TryGetValue<long>(out var n) && n > 16) o["ignore_eos"] = false;
        return o;
    }

    private static HttpRequestMessage Json(string path, JsonNode body) =>
        new(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    private static HttpRequestMessage Raw(string path, byte[] body)
    {
        var c = new ByteArrayContent(body);
        c.Headers.ContentType = new("application/json");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = c };
    }
}
