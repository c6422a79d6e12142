using System.Text;
using System.Text.RegularExpressions;

namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// Splits text into the words BPE merges within. Each regex in turn splits every piece so far
/// into its matches and the text between them (Hugging Face's "Isolated" split, llama.cpp's
/// <c>unicode_regex_split</c>). The named sets are llama.cpp's, chosen by <c>tokenizer.ggml.pre</c>.
/// </summary>
public sealed class PreTokenizer
{
    private readonly Regex[] _regexes;

    public PreTokenizer(string name, IEnumerable<string> patterns, bool ignoreMerges = false, bool nfc = false, bool addPrefixSpace = false)
    {
        Name = name;
        IgnoreMerges = ignoreMerges;
        Nfc = nfc;
        AddPrefixSpace = addPrefixSpace;
        _regexes = patterns.Select(p => new Regex(p, RegexOptions.CultureInvariant | RegexOptions.Compiled)).ToArray();
    }

    /// <summary>The <c>tokenizer.ggml.pre</c> name (or "hf" for a tokenizer.json's own regexes).</summary>
    public string Name { get; }

    /// <summary>Llama 3: a word that is a whole vocabulary entry is taken as is, without merging.</summary>
    public bool IgnoreMerges { get; }

    /// <summary>Hugging Face's NFC normalizer runs first (Qwen's tokenizer.json).</summary>
    public bool Nfc { get; }

    /// <summary>Hugging Face ByteLevel add_prefix_space: a space before text that does not start with one.</summary>
    public bool AddPrefixSpace { get; }

    public IReadOnlyList<string> Patterns => _regexes.Select(r => r.ToString()).ToArray();

    public void Split(string text, List<string> words)
    {
        words.Clear();
        if (text.Length == 0) return;
        if (Nfc) text = text.Normalize(NormalizationForm.FormC);
        if (AddPrefixSpace && text[0] != ' ') text = " " + text;
        words.Add(text);
        var next = new List<string>();
        foreach (var re in _regexes)
        {
            next.Clear();
            foreach (var piece in words)
            {
                var start = 0;
                for (var m = re.Match(piece); m.Success; m = m.NextMatch())
                {
                    if (m.Length == 0) continue;
                    if (m.Index > start) next.Add(piece[start..m.Index]);
                    next.Add(m.Value);
                    start = m.Index + m.Length;
                }
                if (start < piece.Length) next.Add(start == 0 ? piece : piece[start..]);
            }
            words.Clear();
            words.AddRange(next);
        }
    }

    // llama.cpp's regexes (src/llama-vocab.cpp); its GPT-2 and Llama 3 ones have hand-written
    // matchers there, which these regexes reproduce. Case-insensitive contractions are spelled out
    // so that .NET's case folding cannot match other letters (e.g. U+017F for 's').
    private const string Contractions = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private const string Llama3 = Contractions + @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = Contractions + @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Cjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

    /// <summary>The pre-tokenizer names understood, for error messages.</summary>
    public static readonly string[] Known =
        ["llama-bpe", "llama3", "llama-v3", "qwen2", "deepseek-r1-qwen", "gpt-2", "phi-2", "deepseek-llm", "deepseek-coder", "starcoder", "smollm", "refact", "default"];

    /// <summary>The pre-tokenizer <c>tokenizer.ggml.pre</c> names; an unknown name is an error.</summary>
    public static PreTokenizer FromGgufName(string name) => name switch
    {
        "llama-bpe" or "llama3" or "llama-v3" => new(name, [Llama3], ignoreMerges: true),
        "qwen2" or "deepseek-r1-qwen" => new(name, [Qwen2]),
        "gpt-2" or "phi-2" => new(name, [Gpt2]),
        "starcoder" or "smollm" or "refact" => new(name, [@"\p{N}", Gpt2]),
        "deepseek-coder" => new(name, [@"[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", Cjk, @"\p{N}"]),
        "deepseek-llm" => new(name, [@"[\r\n]", @"\s?" + DeepSeekLetters + "+", "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", @"\s+\z", Cjk, @"\p{N}+"]),
        "default" => new(name, [@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"]),
        _ => throw new NotSupportedException($"unknown pre-tokenizer '{name}' (tokenizer.ggml.pre); supported: {string.Join(", ", Known)}"),
    };

    // DeepSeek LLM's cased-letter class; its ranges above U+FFFF become surrogate-pair alternatives
    // because .NET regexes see UTF-16 code units.
    private static readonly string DeepSeekLetters = BuildClass(
    [
        ('A', 'Z'), ('a', 'z'), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BA), (0x1BC, 0x1BF), (0x1C4, 0x293), (0x295, 0x2AF),
        (0x370, 0x373), (0x376, 0x377), (0x37B, 0x37D), (0x37F, 0x37F), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x3A1),
        (0x3A3, 0x3F5), (0x3F7, 0x481), (0x48A, 0x52F), (0x531, 0x556), (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD),
        (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E00, 0x1F15), (0x1F18, 0x1F1D),
        (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D),
        (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB),
        (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2102, 0x2102), (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115),
        (0x2119, 0x211D), (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128), (0x212A, 0x212D), (0x212F, 0x2134), (0x2139, 0x2139),
        (0x213C, 0x213F), (0x2145, 0x2149), (0x214E, 0x214E), (0x2183, 0x2184), (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE),
        (0x2CF2, 0x2CF3), (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E), (0xAB70, 0xABBF),
        (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
        (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943),
    ]);

    /// <summary>A regex alternative matching one code point in any of the ranges.</summary>
    internal static string BuildClass(IEnumerable<(int Lo, int Hi)> ranges)
    {
        var bmp = new StringBuilder("[");
        var alts = new List<string>();
        foreach (var (lo, hi) in ranges)
        {
            if (hi <= 0xFFFF) { bmp.Append($"\\u{lo:X4}-\\u{hi:X4}"); continue; }
            for (var start = lo; start <= hi;)
            {
                // One alternative per high surrogate the range crosses.
                var high = 0xD800 + ((start - 0x10000) >> 10);
                var blockEnd = Math.Min(hi, 0x10000 + ((high - 0xD800 + 1) << 10) - 1);
                var lowA = 0xDC00 + ((start - 0x10000) & 0x3FF);
                var lowB = 0xDC00 + ((blockEnd - 0x10000) & 0x3FF);
                alts.Add($"\\u{high:X4}[\\u{lowA:X4}-\\u{lowB:X4}]");
                start = blockEnd + 1;
            }
        }
        bmp.Append(']');
        return alts.Count == 0 ? bmp.ToString() : "(?:" + bmp + "|" + string.Join("|", alts) + ")";
    }
}
