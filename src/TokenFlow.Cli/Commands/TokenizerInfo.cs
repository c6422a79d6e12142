using TokenFlow.Inference;
using TokenFlow.Inference.Templating;
using TokenFlow.Inference.Tokenization;

namespace TokenFlow.Cli.Commands;

/// <summary>The tokenizer and chat-template lines of <c>model info</c>.</summary>
internal static class TokenizerInfo
{
    public static void Write(TextWriter o, LoadedModel m)
    {
        var t = m.Tokenizer;
        var origin = m.Format == "gguf" ? "GGUF metadata" : m.Format == "llama2c" ? "llama2.c tokenizer.bin" : "built in";
        var kind = t.Pre is { } pre ? $"{t.TokenizerKind}, pre '{pre}'" : t.TokenizerKind;
        var extra = t is BpeTokenizer b ? $", {b.MergeCount:N0} merges ({(b.UsesLibraryMerges ? "Microsoft.ML.Tokenizers" : "own merge loop")}){(b.PreTokenizer.IgnoreMerges ? ", ignore_merges" : "")}, from {b.Source}" : $", from {origin}";
        o.WriteLine($"tokenizer:     {kind}, {t.VocabSize:N0} tokens{extra}");
        o.WriteLine($"special:       bos {Token(t, t.BosId)}, eos {Token(t, t.EosId)}, adds bos: {(t.AddsBos ? "yes" : "no")}");
        o.WriteLine($"stop tokens:   {string.Join(", ", m.StopTokenIds.Order().Select(id => Token(t, id)))}");
        var control = Enumerable.Range(0, t.VocabSize).Count(i => t.KindOf(i) == TokenKind.Control);
        var user = Enumerable.Range(0, t.VocabSize).Count(i => t.KindOf(i) == TokenKind.UserDefined);
        o.WriteLine($"token types:   {control:N0} control, {user:N0} user-defined");
        if (m.ChatTemplate is null) { o.WriteLine("chat template: none (the server uses the plain Role: content form)"); return; }
        try
        {
            var chat = new ChatTemplate(m.ChatTemplate, t);
            o.WriteLine($"chat template: {chat.Name}, {m.ChatTemplate.Length:N0} chars");
        }
        catch (JinjaException e) { o.WriteLine($"chat template: UNUSABLE ({e.Message}); serve would refuse to start"); }
    }

    private static string Token(ITextTokenizer t, int id) => id < 0 || id >= t.VocabSize ? "none" : $"{id} {System.Text.Json.JsonSerializer.Serialize(t.TokenText(id), Json)}";

    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
