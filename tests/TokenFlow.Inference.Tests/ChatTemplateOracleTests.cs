using System.Text.Json;
using TokenFlow.Inference.Templating;

namespace TokenFlow.Inference.Tests;

/// <summary>Every oracle chat template renders every case byte-identically to Hugging Face's rendering (or raises where it raises).</summary>
public sealed class ChatTemplateOracleTests
{
    internal static string Dir { get; } = Path.Combine(TestModels.Dir, "oracle", "chat-templates");

    public static TheoryData<string> Templates() => new(Directory.GetFiles(Dir, "chat-template-*.json").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Templates))]
    public void RendersEveryCaseExactly(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, file)));
        var root = doc.RootElement;
        var template = JinjaTemplate.Parse(root.GetProperty("template").GetString()!);
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var name = c.GetProperty("name").GetString();
            var vars = Context(root, c);
            if (c.GetProperty("expected").ValueKind == JsonValueKind.Null)
            {
                var e = Assert.Throws<JinjaRaisedException>(() => template.Render(vars));
                Assert.Contains(c.GetProperty("error").GetString()!, e.Message);
                continue;
            }
            var expected = c.GetProperty("expected").GetString();
            var got = template.Render(vars);
            Assert.True(expected == got, $"{file} {name}:\nexpected {JsonSerializer.Serialize(expected)}\n     got {JsonSerializer.Serialize(got)}");
        }
    }

    internal static Dictionary<string, object?> Context(JsonElement root, JsonElement c)
    {
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = Convert(c.GetProperty("messages")),
            ["add_generation_prompt"] = c.GetProperty("add_generation_prompt").GetBoolean(),
        };
        foreach (var key in new[] { "bos_token", "eos_token" })
            if (root.TryGetProperty(key, out var t) && t.ValueKind == JsonValueKind.String) vars[key] = t.GetString();
        if (c.TryGetProperty("extra_context", out var extra) && extra.ValueKind == JsonValueKind.Object)
            foreach (var p in extra.EnumerateObject()) vars[p.Name] = Convert(p.Value);
        return vars;
    }

    internal static object? Convert(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => e.EnumerateArray().Select(Convert).ToList(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => Convert(p.Value)),
        _ => null,
    };
}
