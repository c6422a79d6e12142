using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using TokenFlow.Core.Requests;
using TokenFlow.Inference;
using TokenFlow.Inference.Engine;
using TokenFlow.Server.Api;

namespace TokenFlow.Server.Tests;

/// <summary>The official OpenAI .NET SDK against a real server: the text equals direct in-process greedy generation.</summary>
[Collection("server")]
public sealed class OpenAiSdkTests(ServerFixture fx) : IDisposable
{
    private readonly LoadedModel _model = TestModel.LoadRaw();

    public void Dispose() => _model.Dispose();

    private ChatClient Chat() => new(fx.Server.ModelName, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fx.Server.ApiBase) });

    private GenerationResult Direct(string prompt, int maxTokens) =>
        TextGenerator.Generate(_model, _model.Tokenizer.Encode(prompt, addBos: true), maxTokens, SamplingParams.Greedy, threads: 1);

    private string DirectChat(string user, int maxTokens) =>
        Direct(ChatPromptBuilder.Simple([new Api.ChatMessage("user", user)], true), maxTokens).Text;

    [Fact]
    public async Task ChatNonStreamingEqualsInProcessGreedy()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 48 };
        ChatCompletion c = await Chat().CompleteChatAsync([new UserChatMessage("Tell me a story about a cat.")], options);
        var expected = DirectChat("Tell me a story about a cat.", 48);
        Assert.Equal(expected, c.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, c.FinishReason);
        Assert.Equal(48, c.Usage.OutputTokenCount);
        Assert.True(c.Usage.InputTokenCount > 5);
        Assert.StartsWith("chatcmpl-", c.Id);
        Assert.Equal(fx.Server.ModelName, c.Model);
    }

    [Fact]
    public async Task ChatStreamingEqualsInProcessGreedy()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 64 };
        var sb = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var u in Chat().CompleteChatStreamingAsync([new SystemChatMessage("You tell stories."), new UserChatMessage("Once upon a time")], options))
        {
            updates++;
            foreach (var part in u.ContentUpdate) sb.Append(part.Text);
            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }
        var prompt = ChatPromptBuilder.Simple([new Api.ChatMessage("system", "You tell stories."), new Api.ChatMessage("user", "Once upon a time")], true);
        Assert.Equal(Direct(prompt, 64).Text, sb.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(64, usage!.OutputTokenCount);
        Assert.True(updates > 10);
    }

    [Fact]
    public async Task CompletionsThroughSdkPipelineEqualInProcessGreedy()
    {
        // The SDK has no public legacy-completions client; its pipeline (auth, retries, transport) sends the request.
        var pipeline = Chat().Pipeline;
        foreach (var (prompt, max) in new[] { ("Once upon a time", 60), ("Zoo", 40), ("", 300) })
        {
            var expected = Direct(prompt, max);
            var body = JsonSerializer.Serialize(new { model = fx.Server.ModelName, prompt, max_tokens = max, temperature = 0 });
            using var doc = JsonDocument.Parse(await SendAsync(pipeline, body, stream: false));
            var choice = doc.RootElement.GetProperty("choices")[0];
            Assert.Equal(expected.Text, choice.GetProperty("text").GetString());
            var reason = expected.FinishReason == FinishReason.Length ? "length" : "stop";
            Assert.Equal(reason, choice.GetProperty("finish_reason").GetString());
            Assert.Equal(expected.Tokens.Length, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal(expected.PromptTokens.Length, doc.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

            var streamBody = JsonSerializer.Serialize(new { model = fx.Server.ModelName, prompt, max_tokens = max, temperature = 0, stream = true });
            var sse = await SendAsync(pipeline, streamBody, stream: true);
            var events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e[6..]).ToList();
            Assert.Equal("[DONE]", events[^1]);
            Assert.Equal(expected.Text, Sse.Text(events));
        }
    }

    [Fact]
    public async Task SampledChatWithSeedIsReproducible()
    {
        var options = new ChatCompletionOptions { Temperature = 1.0f, TopP = 0.9f, MaxOutputTokenCount = 40 };
#pragma warning disable OPENAI001
        options.Seed = 133742;
#pragma warning restore OPENAI001
        ChatCompletion a = await Chat().CompleteChatAsync([new UserChatMessage("Lily")], options);
        ChatCompletion b = await Chat().CompleteChatAsync([new UserChatMessage("Lily")], options);
        Assert.Equal(a.Content[0].Text, b.Content[0].Text);
        Assert.Equal(40, a.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task ModelsListedThroughSdk()
    {
        var models = new OpenAI.Models.OpenAIModelClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fx.Server.ApiBase) });
        var list = (await models.GetModelsAsync()).Value;
        Assert.Contains(list, m => m.Id == fx.Server.ModelName);
    }

    private async Task<string> SendAsync(ClientPipeline pipeline, string json, bool stream)
    {
        using var message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(fx.Server.ApiBase + "/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(json));
        message.BufferResponse = !stream;
        await pipeline.SendAsync(message);
        var response = message.Response!;
        Assert.Equal(200, response.Status);
        if (!stream) return response.Content.ToString();
        using var reader = new StreamReader(response.ContentStream!);
        return await reader.ReadToEndAsync();
    }
}
