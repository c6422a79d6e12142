using System.Net;
using System.Text.Json;

namespace TokenFlow.Server.Tests;

/// <summary>Every request field is honoured or refused with a 400 naming it: penalties, logprobs, echo, json_object, and the refused ones.</summary>
[Collection("server")]
public sealed class RequestFieldTests(ServerFixture fx)
{
    private HttpClient Http => fx.Http;

    private async Task<JsonElement> PostAsync(string path, string body)
    {
        using var r = await Http.SendAsync(Sse.Post(path, body));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", "tools")]
    [InlineData("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"tool_choice":"auto"}""", "tool_choice")]
    [InlineData("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"echo":true}""", "echo")]
    [InlineData("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"top_logprobs":2}""", "top_logprobs")]
    [InlineData("v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}}""", "response_format")]
    [InlineData("v1/completions", """{"prompt":"a","best_of":2}""", "best_of")]
    [InlineData("v1/completions", """{"prompt":"a","suffix":"z"}""", "suffix")]
    [InlineData("v1/completions", """{"prompt":"a","echo":true,"logprobs":1}""", "echo")]
    [InlineData("v1/completions", """{"prompt":"a","logprobs":21}""", "logprobs")]
    [InlineData("v1/completions", """{"prompt":"a","logit_bias":{"512":1}}""", "logit_bias")]
    [InlineData("v1/completions", """{"prompt":"a","logit_bias":{"5":100.5}}""", "logit_bias")]
    [InlineData("v1/completions", """{"prompt":"a","logit_bias":{"x":1}}""", "logit_bias")]
    [InlineData("v1/completions", """{"prompt":"a","seed":18446744073709551615}""", "seed")]
    [InlineData("v1/completions", """{"prompt":"a","seed":9223372036854775808}""", "seed")]
    [InlineData("v1/completions", """{"prompt":"a","seed":9.3e18}""", "seed")]
    [InlineData("v1/completions", """{"prompt":"a","consumption_rate":5e-324}""", "consumption_rate")]
    [InlineData("v1/completions", """{"prompt":"a","consumption_rate":1e7}""", "consumption_rate")]
    [InlineData("v1/completions", """{"prompt":"a","presence_penalty":3}""", "presence_penalty")]
    [InlineData("v1/completions", """{"prompt":"a","repetition_penalty":0}""", "repetition_penalty")]
    [InlineData("v1/completions", """{"prompt":"a","min_p":1.5}""", "min_p")]
    public async Task RefusedFieldGives400NamingIt(string path, string body, string param)
    {
        using var r = await Http.SendAsync(Sse.Post(path, body));
        await HttpApiTests.AssertErrorAsync(r, HttpStatusCode.BadRequest, param);
    }

    [Fact]
    public async Task UnknownFieldsAndBoundaryValuesAreAccepted()
    {
        var body = """{"prompt":"Once","max_tokens":3,"temperature":0,"some_vendor_field":{"x":1},"seed":9223372036854775807,"consumption_rate":0.01,"logit_bias":{"0":-100}}""";
        var doc = await PostAsync("v1/completions", body);
        Assert.Equal(3, doc.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task CompletionLogprobsHaveOpenAiShapeAndGreedyPicksTheTopToken()
    {
        var doc = await PostAsync("v1/completions", """{"prompt":"Once upon a time","max_tokens":8,"temperature":0,"ignore_eos":true,"logprobs":3}""");
        var lp = doc.GetProperty("choices")[0].GetProperty("logprobs");
        var tokens = lp.GetProperty("tokens");
        var values = lp.GetProperty("token_logprobs");
        var tops = lp.GetProperty("top_logprobs");
        var offsets = lp.GetProperty("text_offset");
        Assert.Equal(8, tokens.GetArrayLength());
        Assert.Equal(8, values.GetArrayLength());
        Assert.Equal(8, tops.GetArrayLength());
        Assert.Equal(8, offsets.GetArrayLength());
        for (var i = 0; i < 8; i++)
        {
            var v = values[i].GetDouble();
            Assert.True(v <= 0);
            var alts = tops[i].EnumerateObject().ToList();
            Assert.InRange(alts.Count, 1, 4);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(alts.Max(a => a.Value.GetDouble()), v, 5);
            Assert.Equal(v, tops[i].GetProperty(tokens[i].GetString()!).GetDouble(), 5);
        }
        Assert.Equal(0, offsets[0].GetInt32());
        var text = string.Concat(tokens.EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(doc.GetProperty("choices")[0].GetProperty("text").GetString(), text);
    }

    [Fact]
    public async Task ChatLogprobsStreamOneEntryPerToken()
    {
        var body = """{"messages":[{"role":"user","content":"Tell a story"}],"max_tokens":6,"temperature":0,"ignore_eos":true,"stream":true,"logprobs":true,"top_logprobs":2}""";
        using var r = await Http.SendAsync(Sse.Post("v1/chat/completions", body), HttpCompletionOption.ResponseHeadersRead);
        var events = await Sse.ReadAllAsync(r);
        var entries = 0;
        foreach (var e in events.TakeWhile(e => e != "[DONE]"))
        {
            using var d = JsonDocument.Parse(e);
            var lp = d.RootElement.GetProperty("choices")[0].GetProperty("logprobs");
            if (lp.ValueKind == JsonValueKind.Null) continue;
            foreach (var c in lp.GetProperty("content").EnumerateArray())
            {
                entries++;
                Assert.True(c.GetProperty("logprob").GetDouble() <= 0);
                Assert.Equal(2, c.GetProperty("top_logprobs").GetArrayLength());
                Assert.Equal(JsonValueKind.Array, c.GetProperty("bytes").ValueKind);
            }
        }
        Assert.Equal(6, entries);
    }

    [Fact]
    public async Task CompletionStreamCarriesLogprobsPerTokenAndEchoFirst()
    {
        var body = """{"prompt":"Once upon a time","max_tokens":5,"temperature":0,"ignore_eos":true,"stream":true,"logprobs":1}""";
        using var r = await Http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
        var events = await Sse.ReadAllAsync(r);
        var tokens = new List<string>();
        foreach (var e in events.TakeWhile(e => e != "[DONE]"))
        {
            using var d = JsonDocument.Parse(e);
            var lp = d.RootElement.GetProperty("choices")[0].GetProperty("logprobs");
            if (lp.ValueKind == JsonValueKind.Null) continue;
            Assert.Equal(lp.GetProperty("tokens").GetArrayLength(), lp.GetProperty("token_logprobs").GetArrayLength());
            tokens.AddRange(lp.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!));
        }
        Assert.Equal(5, tokens.Count);
        Assert.Equal(Sse.Text(events), string.Concat(tokens));

        using var r2 = await Http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Once upon a time","max_tokens":3,"temperature":0,"stream":true,"echo":true}"""), HttpCompletionOption.ResponseHeadersRead);
        var echoed = await Sse.ReadAllAsync(r2);
        using var first = JsonDocument.Parse(echoed[0]);
        Assert.Equal("Once upon a time", first.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task EchoPrependsThePrompt()
    {
        var plain = await PostAsync("v1/completions", """{"prompt":"Once upon a time","max_tokens":5,"temperature":0}""");
        var echo = await PostAsync("v1/completions", """{"prompt":"Once upon a time","max_tokens":5,"temperature":0,"echo":true}""");
        Assert.Equal("Once upon a time" + plain.GetProperty("choices")[0].GetProperty("text").GetString(), echo.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task PenaltiesChangeGreedyOutput()
    {
        static string Body(string extra) => "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"temperature\":0,\"ignore_eos\":true" + extra + "}";
        var plain = (await PostAsync("v1/completions", Body(""))).GetProperty("choices")[0].GetProperty("text").GetString();
        var rep = (await PostAsync("v1/completions", Body(",\"repetition_penalty\":1.8"))).GetProperty("choices")[0].GetProperty("text").GetString();
        var freq = (await PostAsync("v1/completions", Body(",\"frequency_penalty\":2"))).GetProperty("choices")[0].GetProperty("text").GetString();
        Assert.NotEqual(plain, rep);
        Assert.NotEqual(plain, freq);
    }

    [Fact]
    public async Task JsonObjectOutputParsesForHundredSeeds()
    {
        var failures = new List<string>();
        for (var batch = 0; batch < 10; batch++)
        {
            var tasks = Enumerable.Range(batch * 10, 10).Select(async seed =>
            {
                var chat = seed % 2 == 0;
                var body = chat
                    ? $$$"""{"messages":[{"role":"user","content":"Give JSON"}],"max_tokens":40,"temperature":1,"seed":{{{seed}}},"response_format":{"type":"json_object"}}"""
                    : $$$"""{"prompt":"Once upon a time","max_tokens":40,"temperature":1.2,"seed":{{{seed}}},"response_format":{"type":"json_object"}}""";
                var doc = await PostAsync(chat ? "v1/chat/completions" : "v1/completions", body);
                var c = doc.GetProperty("choices")[0];
                return chat ? c.GetProperty("message").GetProperty("content").GetString()! : c.GetProperty("text").GetString()!;
            }).ToList();
            foreach (var text in await Task.WhenAll(tasks))
            {
                try
                {
                    using var d = JsonDocument.Parse(text);
                    Assert.Equal(JsonValueKind.Object, d.RootElement.ValueKind);
                }
                catch (JsonException) { failures.Add(text); }
            }
        }
        Assert.True(failures.Count == 0, "not JSON: " + string.Join(" | ", failures));
    }
}
