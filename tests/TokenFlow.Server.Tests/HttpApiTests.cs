using System.Net;
using System.Text;
using System.Text.Json;

namespace TokenFlow.Server.Tests;

/// <summary>Raw HTTP: SSE framing, usage, the info endpoints and each error's status and shape.</summary>
[Collection("server")]
public sealed class HttpApiTests(ServerFixture fx)
{
    private HttpClient Http => fx.Http;

    internal static async Task AssertErrorAsync(HttpResponseMessage r, HttpStatusCode status, string? param = null)
    {
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(status == r.StatusCode, $"expected {status}, got {r.StatusCode}: {body}");
        Assert.StartsWith("application/json", r.Content.Headers.ContentType?.ToString());
        using var doc = JsonDocument.Parse(body);
        var e = doc.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, e.GetProperty("type").ValueKind);
        Assert.True(e.TryGetProperty("param", out var p));
        Assert.True(e.TryGetProperty("code", out _));
        if (param is not null) Assert.Equal(param, p.GetString());
    }

    [Fact]
    public async Task CompletionStreamFramingUsageAndDone()
    {
        var body = """{"prompt":"Once upon a time","max_tokens":20,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""";
        using var r = await Http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType?.MediaType);
        var events = await Sse.ReadAllAsync(r);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(1, events.Count(e => e == "[DONE]"));
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        string? id = null;
        foreach (var c in chunks)
        {
            Assert.Equal("text_completion", c.GetProperty("object").GetString());
            id ??= c.GetProperty("id").GetString();
            Assert.Equal(id, c.GetProperty("id").GetString());
            Assert.True(c.GetProperty("created").GetInt64() > 1_600_000_000);
            Assert.Equal(fx.Server.ModelName, c.GetProperty("model").GetString());
        }
        // All but the usage chunk carry usage: null; the finish chunk says "length"; the last has empty choices and usage.
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(20, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, usageChunk.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(25, usageChunk.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        foreach (var c in chunks[..^2])
        {
            Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
            Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind);
        }
        Assert.StartsWith(", there was", Sse.Text(events));
    }

    [Fact]
    public async Task ChatStreamRoleFirstContinuousUsageAndNoUsageWithoutOption()
    {
        var body = """{"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":12,"temperature":0,"stream":true,"stream_options":{"continuous_usage_stats":true}}""";
        using var r = await Http.SendAsync(Sse.Post("v1/chat/completions", body), HttpCompletionOption.ResponseHeadersRead);
        var events = await Sse.ReadAllAsync(r);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal(JsonValueKind.Object, c.GetProperty("usage").ValueKind));
        Assert.Equal(12, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var counts = chunks.Select(c => c.GetProperty("usage").GetProperty("completion_tokens").GetInt32()).ToList();
        Assert.Equal(counts.OrderBy(x => x), counts);

        using var r2 = await Http.SendAsync(Sse.Post("v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"stream":true}"""), HttpCompletionOption.ResponseHeadersRead);
        var plain = await Sse.ReadAllAsync(r2);
        Assert.All(plain[..^1], e => Assert.DoesNotContain("\"usage\"", e));
    }

    [Fact]
    public async Task NonStreamingShapesStopStringsAndRateHeader()
    {
        var m = Sse.Post("v1/completions", """{"prompt":"Once upon a time","max_tokens":60,"temperature":0,"stop":["park"],"user":"u1","priority":3,"top_k":-1,"ignore_eos":true,"min_tokens":2}""");
        m.Headers.Add("X-Consumption-Rate", "12.5");
        using var r = await Http.SendAsync(m);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var c = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal(", there was a little girl named Lily. She loved to play outside in the ", c.GetProperty("text").GetString());
        Assert.Equal("stop", c.GetProperty("finish_reason").GetString());
        Assert.StartsWith("cmpl-", doc.RootElement.GetProperty("id").GetString());

        using var chat = await Http.SendAsync(Sse.Post("v1/chat/completions", """{"messages":[{"role":"system","content":"s"},{"role":"user","content":"Hi"}],"max_completion_tokens":7,"consumption_rate":30}"""));
        using var cd = JsonDocument.Parse(await chat.Content.ReadAsStringAsync());
        Assert.Equal("chat.completion", cd.RootElement.GetProperty("object").GetString());
        Assert.Equal("assistant", cd.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(7, cd.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task InfoEndpoints()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health")).StatusCode);
        var models = await Http.GetStringAsync("v1/models");
        Assert.Contains(fx.Server.ModelName, models);
        using var tok = JsonDocument.Parse(await (await Http.SendAsync(Sse.Post("tokenize", """{"prompt":"Zoo"}"""))).Content.ReadAsStringAsync());
        Assert.Equal([1, 410, 469, 347], tok.RootElement.GetProperty("tokens").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(4, tok.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(512, tok.RootElement.GetProperty("max_model_len").GetInt32());
        using var de = JsonDocument.Parse(await (await Http.SendAsync(Sse.Post("detokenize", """{"tokens":[410,469,347]}"""))).Content.ReadAsStringAsync());
        Assert.Equal("Zoo", de.RootElement.GetProperty("prompt").GetString()!.Trim());
        var metrics = await Http.GetStringAsync("metrics");
        foreach (var name in new[] { "vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds", "vllm:num_requests_running", "vllm:num_requests_waiting",
                     "vllm:kv_cache_usage_perc", "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "tokenflow_buffer_slack_seconds",
                     "tokenflow_preemptions_total", "tokenflow_kv_bytes_moved_total", "tokenflow_host_kv_usage_perc", "tokenflow_stall_seconds_total" })
            Assert.Contains("\n" + name, metrics);
        var page = await Http.GetStringAsync("");
        Assert.Contains("<svg", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", ""));
    }

    [Fact]
    public async Task ErrorsHaveStatusAndShape()
    {
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", "{not json")), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", "")), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", "[1,2]")), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","n":3}""")), HttpStatusCode.BadRequest, "n");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":"ten"}""")), HttpStatusCode.BadRequest, "max_tokens");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":1e300}""")), HttpStatusCode.BadRequest, "max_tokens");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","consumption_rate":-3}""")), HttpStatusCode.BadRequest, "consumption_rate");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","temperature":7}""")), HttpStatusCode.BadRequest, "temperature");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":[1,2,99999]}""")), HttpStatusCode.BadRequest, "prompt");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":["a","b"]}""")), HttpStatusCode.BadRequest, "prompt");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","stream_options":{"include_usage":true}}""")), HttpStatusCode.BadRequest, "stream_options");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/chat/completions", """{"messages":[]}""")), HttpStatusCode.BadRequest, "messages");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/chat/completions", """{"messages":[{"role":"wizard","content":"x"}]}""")), HttpStatusCode.BadRequest, "messages");
        var longPrompt = string.Join(" ", Enumerable.Repeat("once upon a time there was", 200));
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", JsonSerializer.Serialize(new { prompt = longPrompt }))), HttpStatusCode.BadRequest, "prompt");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":600}""")), HttpStatusCode.BadRequest, "max_tokens");
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","model":"gpt-4"}""")), HttpStatusCode.NotFound, "model");
        var bad = Sse.Post("v1/completions", """{"prompt":"a"}""");
        bad.Headers.Add("X-Consumption-Rate", "fast");
        await AssertErrorAsync(await Http.SendAsync(bad), HttpStatusCode.BadRequest, "X-Consumption-Rate");
        var huge = new string('a', (int)fx.Server.State.Options.MaxBodyBytes + 10);
        var big = Sse.Post("v1/completions", $"{{\"prompt\":\"{huge}\"}}");
        big.Headers.ExpectContinue = true; // the server answers 413 before the body is sent
        await AssertErrorAsync(await Http.SendAsync(big), HttpStatusCode.RequestEntityTooLarge);
        await AssertErrorAsync(await Http.GetAsync("v1/nothing"), HttpStatusCode.NotFound);
        await AssertErrorAsync(await Http.GetAsync("v1/completions"), HttpStatusCode.MethodNotAllowed);
        var invalidUtf8 = new ByteArrayContent([.. "{\"prompt\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new("application/json");
        await AssertErrorAsync(await Http.PostAsync("v1/completions", invalidUtf8), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"\ud800"}""")), HttpStatusCode.BadRequest, "prompt");
    }

    [Fact]
    public async Task ApiKeyRequiredWhenSet()
    {
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { ApiKey = "sekret", MaxBodyBytes = 1000 }));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        await AssertErrorAsync(await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":2}""")), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":2}""", "wrong")), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await http.GetAsync("v1/models"), HttpStatusCode.Unauthorized);
        // A chunked body (no Content-Length) over the limit is cut off while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"prompt\":\"{new string('a', 3000)}\"}}")));
        chunked.Headers.ContentType = new("application/json");
        var req = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        req.Headers.Authorization = new("Bearer", "sekret");
        await AssertErrorAsync(await http.SendAsync(req), HttpStatusCode.RequestEntityTooLarge);
        var ok = await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"a","max_tokens":2}""", "sekret"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode); // health stays open
        // The dashboard is behind the key too; a browser passes it as ?key=.
        await AssertErrorAsync(await http.GetAsync(""), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await http.GetAsync("dashboard/state"), HttpStatusCode.Unauthorized);
        await AssertErrorAsync(await http.GetAsync("dashboard/state?key=wrong"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("?key=sekret")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("dashboard/state?key=sekret")).StatusCode);
    }
}
