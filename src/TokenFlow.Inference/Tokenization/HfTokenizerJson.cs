using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> (optionally gzipped) of a byte-level BPE model:
/// <c>model.vocab</c>, <c>model.merges</c> (strings or pairs), <c>added_tokens</c>, the Split /
/// ByteLevel / Digits pre-tokenizers, an NFC normalizer and a BOS-adding TemplateProcessing.
/// BOS and EOS names come from <c>tokenizer_config.json</c> beside it when present. Anything else
/// (WordPiece, Unigram, other normalizers or split behaviours) is an error naming the field.
/// </summary>
public static class HfTokenizerJson
{
    public static BpeTokenizer Load(string path)
    {
        using var doc = JsonDocument.Parse(ReadAll(path), new JsonDocumentOptions { MaxDepth = 256 });
        var root = doc.RootElement;
        string Where(string field) => $"{path}: {field}";
        var model = root.GetProperty("model");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != "BPE") throw new NotSupportedException(Where($"model.type '{type}' is not supported (only byte-level BPE)"));
        if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            throw new NotSupportedException(Where("model.byte_fallback (a SentencePiece-style BPE) is not supported; use the model's GGUF vocabulary"));

        var byId = new Dictionary<int, string>();
        foreach (var p in model.GetProperty("vocab").EnumerateObject()) byId[p.Value.GetInt32()] = p.Name;
        var added = new Dictionary<int, (string Text, bool Special)>();
        if (root.TryGetProperty("added_tokens", out var at))
            foreach (var a in at.EnumerateArray())
                added[a.GetProperty("id").GetInt32()] = (a.GetProperty("content").GetString()!, a.TryGetProperty("special", out var s) && s.GetBoolean());
        var n = Math.Max(byId.Count == 0 ? 0 : byId.Keys.Max() + 1, added.Count == 0 ? 0 : added.Keys.Max() + 1);
        var tokens = new string[n];
        var kinds = new TokenKind[n];
        for (var i = 0; i < n; i++)
        {
            if (added.TryGetValue(i, out var a)) { tokens[i] = a.Text; kinds[i] = a.Special || LooksSpecial(a.Text) ? TokenKind.Control : TokenKind.UserDefined; }
            else if (byId.TryGetValue(i, out var v)) { tokens[i] = v; kinds[i] = TokenKind.Normal; }
            else { tokens[i] = $"[PAD{i}]"; kinds[i] = TokenKind.Unused; }
        }

        var merges = new List<(string, string)>();
        if (model.TryGetProperty("merges", out var ms))
            foreach (var m in ms.EnumerateArray())
            {
                if (m.ValueKind == JsonValueKind.Array) { merges.Add((m[0].GetString()!, m[1].GetString()!)); continue; }
                var str = m.GetString()!;
                var sp = str.Length > 1 ? str.IndexOf(' ', 1) : -1;
                if (sp < 0) throw new InvalidDataException(Where($"model.merges entry '{str}' is not two tokens separated by a space"));
                merges.Add((str[..sp], str[(sp + 1)..]));
            }
        if (merges.Count == 0) throw new InvalidDataException(Where("byte-level BPE vocabulary without merges (model.merges is missing or empty)"));

        var patterns = new List<string>();
        var byteLevel = false;
        var prefixSpace = false;
        if (root.TryGetProperty("pre_tokenizer", out var pt) && pt.ValueKind == JsonValueKind.Object) ReadPre(pt, patterns, ref byteLevel, ref prefixSpace, Where);
        if (!byteLevel) throw new NotSupportedException(Where("pre_tokenizer has no ByteLevel step; only byte-level BPE is supported"));
        var nfc = false;
        if (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind == JsonValueKind.Object)
        {
            var nt = norm.GetProperty("type").GetString();
            if (nt != "NFC") throw new NotSupportedException(Where($"normalizer '{nt}' is not supported (only NFC)"));
            nfc = true;
        }
        var ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        PreTokenizer pre;
        try { pre = new PreTokenizer(KnownName(patterns), patterns, ignoreMerges, nfc, prefixSpace); }
        catch (ArgumentException e) { throw new NotSupportedException(Where($"pre-tokenizer regex is not supported ({e.Message})")); }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++) ids.TryAdd(tokens[i], i);
        var (bosName, eosName, addBosConfig) = ReadConfig(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json"));
        var bos = bosName is not null && ids.TryGetValue(bosName, out var b) ? b : -1;
        var eos = eosName is not null && ids.TryGetValue(eosName, out var e2) ? e2 : -1;
        var templateBos = TemplateBos(root, ids);
        if (templateBos >= 0) bos = templateBos;
        var addBos = templateBos >= 0 || (addBosConfig ?? false);
        var eog = Enumerable.Range(0, n).Where(i => Array.IndexOf(GgufTokenizerLoader.EndOfGenerationTexts, tokens[i]) >= 0);
        return new BpeTokenizer(tokens, kinds, merges, pre, bos, eos, addBos, eog, source: "tokenizer.json");
    }

    private static byte[] ReadAll(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 2 || bytes[0] != 0x1F || bytes[1] != 0x8B) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private static void ReadPre(JsonElement pt, List<string> patterns, ref bool byteLevel, ref bool prefixSpace, Func<string, string> where)
    {
        switch (pt.GetProperty("type").GetString())
        {
            case "Sequence":
                foreach (var p in pt.GetProperty("pretokenizers").EnumerateArray()) ReadPre(p, patterns, ref byteLevel, ref prefixSpace, where);
                break;
            case "Split":
                var behavior = pt.GetProperty("behavior").GetString();
                if (behavior != "Isolated" || (pt.TryGetProperty("invert", out var inv) && inv.GetBoolean()))
                    throw new NotSupportedException(where($"pre_tokenizer Split behaviour '{behavior}' is not supported (only Isolated)"));
                var pat = pt.GetProperty("pattern");
                patterns.Add(pat.TryGetProperty("Regex", out var rx) ? AdaptRegex(rx.GetString()!)
                    : System.Text.RegularExpressions.Regex.Escape(pat.GetProperty("String").GetString()!));
                break;
            case "ByteLevel":
                byteLevel = true;
                if (pt.TryGetProperty("add_prefix_space", out var aps) && aps.GetBoolean()) prefixSpace = true;
                if (pt.TryGetProperty("use_regex", out var ur) && ur.GetBoolean())
                    patterns.Add(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");
                break;
            case "Digits":
                patterns.Add(pt.TryGetProperty("individual_digits", out var ind) && ind.GetBoolean() ? @"\p{N}" : @"\p{N}+");
                break;
            case var other:
                throw new NotSupportedException(where($"pre_tokenizer '{other}' is not supported (Sequence, Split, ByteLevel, Digits)"));
        }
    }

    /// <summary>Spells out Hugging Face's case-insensitive contractions (.NET's case folding would also match e.g. U+017F).</summary>
    private static string AdaptRegex(string re) =>
        re.Replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])", StringComparison.Ordinal);

    private static string KnownName(List<string> patterns)
    {
        foreach (var name in new[] { "llama-bpe", "qwen2", "gpt-2" })
            if (PreTokenizer.FromGgufName(name).Patterns.SequenceEqual(patterns)) return name;
        return "tokenizer.json";
    }

    /// <summary>GGUF conversion's rule: added tokens that look like &lt;|…|&gt;, &lt;pad&gt; … are control tokens even when not marked special.</summary>
    private static bool LooksSpecial(string s) =>
        (s.StartsWith("<|", StringComparison.Ordinal) && s.EndsWith("|>", StringComparison.Ordinal))
        || (s.StartsWith("<｜", StringComparison.Ordinal) && s.EndsWith("｜>", StringComparison.Ordinal))
        || s is "<pad>" or "<mask>" || s.StartsWith("<unused", StringComparison.Ordinal);

    private static int TemplateBos(JsonElement root, Dictionary<string, int> ids)
    {
        if (!root.TryGetProperty("post_processor", out var pp) || pp.ValueKind != JsonValueKind.Object) return -1;
        IEnumerable<JsonElement> Processors(JsonElement p) => p.GetProperty("type").GetString() == "Sequence"
            ? p.GetProperty("processors").EnumerateArray().SelectMany(Processors) : [p];
        foreach (var p in Processors(pp))
        {
            if (p.GetProperty("type").GetString() != "TemplateProcessing") continue;
            var first = p.GetProperty("single")[0];
            if (first.TryGetProperty("SpecialToken", out var st) && ids.TryGetValue(st.GetProperty("id").GetString()!, out var id)) return id;
        }
        return -1;
    }

    private static (string? Bos, string? Eos, bool? AddBos) ReadConfig(string path)
    {
        if (!File.Exists(path)) return (null, null, null);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        string? Name(string key) => doc.RootElement.TryGetProperty(key, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        } : null;
        bool? add = doc.RootElement.TryGetProperty("add_bos_token", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False ? a.GetBoolean() : null;
        return (Name("bos_token"), Name("eos_token"), add);
    }
}
