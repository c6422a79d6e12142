using System.Net.Http.Json;
using System.Text.Json;
using TokenFlow.Inference;
using TokenFlow.Inference.Templating;

namespace TokenFlow.Server.Tests;

/// <summary>What serve takes from a model file: its name, chat template and tokenizer, with --chat-template overriding; bad files stop start-up.</summary>
public sealed class ModelLoadingTests
{
    private static string StoriesGguf => Path.Combine(TestModel.Directory, "stories260K.gguf");

    private static ServerOptions Options(string model, Func<ServerOptions, ServerOptions>? tweak = null)
    {
        var o = new ServerOptions { Port = 0, ModelPath = model, DeviceKvBlocks = 64, HostKvBlocks = 64, Threads = 1 };
        return tweak is null ? o : tweak(o);
    }

    [Fact]
    public async Task FolderModelServesItsGeneralNameAndTheChatTemplateOverride()
    {
        var dir = Directory.CreateTempSubdirectory("tf-serve-");
        File.Copy(StoriesGguf, Path.Combine(dir.FullName, "stories.gguf"));
        var template = Path.Combine(dir.FullName, "chat.jinja");
        File.WriteAllText(template, "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}");
        await using var server = await TokenFlowServer.StartAsync(Options(dir.FullName, o => o with { ChatTemplatePath = template }));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        using var models = JsonDocument.Parse(await http.GetStringAsync("v1/models"));
        using var gguf = Inference.Formats.GgufFile.Open(StoriesGguf);
        var generalName = gguf.Get<string>("general.name") ?? "stories";
        Assert.Equal(generalName, models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());

        var resp = await http.PostAsJsonAsync("v1/chat/completions", new { model = generalName, max_tokens = 2, messages = new[] { new { role = "user", content = "Once upon a time" } } });
        Assert.True(resp.IsSuccessStatusCode, await resp.Content.ReadAsStringAsync());
        using var body = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
        var expected = server.State.Model.Tokenizer.Encode("[user] Once upon a time\n[assistant]", addBos: true).Length;
        Assert.Equal(expected, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task ServedModelNameWins()
    {
        await using var server = await TokenFlowServer.StartAsync(Options(StoriesGguf, o => o with { ServedModelName = "my-model" }));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        Assert.Contains("\"my-model\"", await http.GetStringAsync("v1/models"));
    }

    [Fact]
    public async Task UnusableChatTemplateStopsStartUp()
    {
        var bad = Path.Combine(Path.GetTempPath(), $"tf-bad-{Guid.NewGuid():N}.jinja");
        File.WriteAllText(bad, "{% for m in messages %}{{ m.content }}");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TokenFlowServer.StartAsync(Options(StoriesGguf, o => o with { ChatTemplatePath = bad })));
        Assert.Contains("chat template cannot be used", e.Message);
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public async Task BadTokenizerStopsStartUp()
    {
        var vocab = Path.Combine(TestModel.OracleDir, "tokenizers", "ggml-vocab-llama-bpe.gguf");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TokenFlowServer.StartAsync(Options(StoriesGguf, o => o with { TokenizerPath = vocab })));
        Assert.Contains("embedding rows", e.Message);
        var none = Directory.CreateTempSubdirectory("tf-empty-");
        var e2 = await Assert.ThrowsAsync<FileNotFoundException>(() => TokenFlowServer.StartAsync(Options(none.FullName)));
        Assert.Contains("holds no GGUF", e2.Message);
    }
}
