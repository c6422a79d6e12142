using System.Text;

namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// GPT-2-style byte-level BPE (Llama 3, Qwen2, DeepSeek, StarCoder …), encoding as llama.cpp does:
/// special tokens are cut out first, the pre-tokenizer splits the rest into words, each word's
/// UTF-8 bytes are spelled with <see cref="ByteLevel"/> characters and merged pair by pair, always
/// the adjacent pair of lowest merge rank (ties: leftmost). A final symbol that is not a token is
/// emitted as its byte tokens. Decoding concatenates the tokens' bytes, so it round-trips exactly.
/// </summary>
public sealed class BpeTokenizer : ITextTokenizer, ITokenBytes
{
    private readonly string[] _tokens;
    private readonly TokenKind[] _kinds;
    private readonly byte[][] _bytes;                   // token → the bytes it decodes to (control: none)
    private readonly Dictionary<string, int> _symbols;  // tokens, then merge results that are not tokens
    private readonly List<string> _symbolText;
    private readonly Dictionary<long, (int Rank, int Result)> _merges = new();
    private readonly int[] _byteSymbol = new int[256];
    private readonly PreTokenizer _pre;
    private readonly SpecialTokenSplitter _specials;
    private readonly HashSet<int> _eog;
    private readonly Microsoft.ML.Tokenizers.BpeTokenizer? _ml;

    public BpeTokenizer(string[] tokens, TokenKind[] kinds, IEnumerable<(string Left, string Right)> merges, PreTokenizer pre,
        int bosId, int eosId, bool addBos, IEnumerable<int> endOfGeneration, ISet<int>? rstrip = null, string source = "gguf")
    {
        if (tokens.Length == 0 || kinds.Length != tokens.Length) throw new InvalidDataException($"tokenizer: {tokens.Length} tokens, {kinds.Length} types");
        _tokens = tokens;
        _kinds = kinds;
        _pre = pre;
        BosId = bosId;
        EosId = eosId;
        AddsBos = addBos && bosId >= 0;
        Source = source;
        _symbols = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++) _symbols[tokens[i]] = i; // later duplicates win, as in llama.cpp
        _symbolText = new List<string>(tokens);
        var rank = 0;
        var mergeList = merges as IReadOnlyList<(string Left, string Right)> ?? merges.ToList();
        foreach (var (l, r) in mergeList)
        {
            var key = Pair(Symbol(l), Symbol(r));
            _merges.TryAdd(key, (rank, Symbol(l + r)));
            rank++;
        }
        MergeCount = rank;
        // The merge step is Microsoft.ML.Tokenizers' byte-level BPE, which matches llama.cpp on every
        // oracle vector. It refuses merges whose result is not a token, which llama.cpp accepts (the
        // symbol then falls back to byte tokens), so such vocabularies use the loop in MergeOwn.
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++) if (kinds[i] is TokenKind.Normal or TokenKind.Byte) vocab.TryAdd(tokens[i], i);
        if (mergeList.All(m => vocab.ContainsKey(m.Left + m.Right) && vocab.ContainsKey(m.Left) && vocab.ContainsKey(m.Right)))
            _ml = Microsoft.ML.Tokenizers.BpeTokenizer.Create(new Microsoft.ML.Tokenizers.BpeOptions(vocab)
            {
                Merges = mergeList.Select(m => m.Left + " " + m.Right),
                ByteLevel = true,
            });
        for (var b = 0; b < 256; b++) _byteSymbol[b] = Symbol(ByteLevel.Encode((byte)b).ToString());
        _bytes = new byte[tokens.Length][];
        for (var i = 0; i < tokens.Length; i++)
            _bytes[i] = kinds[i] switch
            {
                TokenKind.Control or TokenKind.Unused or TokenKind.Unknown => [],
                TokenKind.UserDefined => Encoding.UTF8.GetBytes(tokens[i]),
                _ => ByteLevel.DecodeString(tokens[i]) ?? Encoding.UTF8.GetBytes(tokens[i]),
            };
        _specials = new SpecialTokenSplitter(Enumerable.Range(0, tokens.Length).Select(i => (tokens[i], i, kinds[i], rstrip?.Contains(i) ?? false)));
        _eog = new HashSet<int>(endOfGeneration.Where(id => (uint)id < (uint)tokens.Length));
        if ((uint)eosId < (uint)tokens.Length) _eog.Add(eosId);
    }

    public int VocabSize => _tokens.Length;
    public int BosId { get; }
    public int EosId { get; }
    public bool AddsBos { get; }
    public int MergeCount { get; }
    public string Source { get; }
    /// <summary>Whether the merge step runs on Microsoft.ML.Tokenizers (false: the vocabulary has merges it refuses).</summary>
    public bool UsesLibraryMerges => _ml is not null;
    public PreTokenizer PreTokenizer => _pre;
    public IReadOnlySet<int> EndOfGenerationIds => _eog;
    public string TokenizerKind => "byte-level BPE";
    public string? Pre => _pre.Name;
    public string TokenText(int id) => _tokens[id];
    public TokenKind KindOf(int id) => _kinds[id];

    private int Symbol(string s)
    {
        if (_symbols.TryGetValue(s, out var id)) return id;
        id = _symbolText.Count;
        _symbolText.Add(s);
        _symbols[s] = id;
        return id;
    }

    private static long Pair(int l, int r) => ((long)l << 32) | (uint)r;

    public int[] Encode(string text, bool addBos = true) => Encode(text, addBos, parseSpecial: false);

    public int[] EncodeWithSpecials(string text, bool addBos) => Encode(text, addBos, parseSpecial: true);

    private int[] Encode(string text, bool addBos, bool parseSpecial)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos && AddsBos) ids.Add(BosId);
        var words = new List<string>();
        foreach (var f in _specials.Split(text, parseSpecial))
        {
            if (f.Token >= 0) { ids.Add(f.Token); continue; }
            _pre.Split(text.Substring(f.Start, f.Length), words);
            foreach (var w in words) EncodeWord(w, ids);
        }
        return ids.ToArray();
    }

    private void EncodeWord(string word, List<int> output)
    {
        var bytes = Encoding.UTF8.GetBytes(word);
        if (_pre.IgnoreMerges)
        {
            var mapped = string.Create(bytes.Length, bytes, static (span, b) => { for (var i = 0; i < b.Length; i++) span[i] = ByteLevel.Encode(b[i]); });
            if (_symbols.TryGetValue(mapped, out var whole) && whole < _tokens.Length) { output.Add(whole); return; }
        }
        if (_ml is not null) output.AddRange(_ml.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        else MergeOwn(bytes, output);
    }

    /// <summary>llama.cpp's merge loop: the adjacent pair of lowest rank first (ties: leftmost), merge results outside the vocabulary allowed.</summary>
    private void MergeOwn(byte[] bytes, List<int> output)
    {
        var n = bytes.Length;
        var sym = new int[n];
        var next = new int[n];
        var prev = new int[n];
        for (var i = 0; i < n; i++) { sym[i] = _byteSymbol[bytes[i]]; next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var queue = new PriorityQueue<(int Left, int Right, int LeftSym, int RightSym, int Result), (int Rank, int Left)>();
        void Try(int l, int r)
        {
            if (l < 0 || r < 0) return;
            if (_merges.TryGetValue(Pair(sym[l], sym[r]), out var m)) queue.Enqueue((l, r, sym[l], sym[r], m.Result), (m.Rank, l));
        }
        for (var i = 0; i + 1 < n; i++) Try(i, i + 1);
        while (queue.TryDequeue(out var c, out _))
        {
            if (sym[c.Left] != c.LeftSym || sym[c.Right] != c.RightSym || next[c.Left] != c.Right) continue;
            sym[c.Left] = c.Result;
            sym[c.Right] = -1;
            next[c.Left] = next[c.Right];
            if (next[c.Right] >= 0) prev[next[c.Right]] = c.Left;
            Try(prev[c.Left], c.Left);
            Try(c.Left, next[c.Left]);
        }
        for (var i = 0; i >= 0 && i < n; i = next[i])
        {
            var s = sym[i];
            if (s < _tokens.Length) { output.Add(s); continue; }
            // A merge result outside the vocabulary: its bytes, one token each.
            foreach (var ch in _symbolText[s])
                if (_symbols.TryGetValue(ch.ToString(), out var bt) && bt < _tokens.Length) output.Add(bt);
        }
    }

    public void AppendBytes(int prevToken, int token, List<byte> into)
    {
        if ((uint)token >= (uint)_tokens.Length) { into.AddRange("\uFFFD"u8); return; }
        into.AddRange(_bytes[token]);
    }

    public string Decode(IReadOnlyList<int> tokens) => Utf8StreamingDecoder.DecodeAll(this, tokens);

    public IStreamingDecoder CreateStreamingDecoder() => new Utf8StreamingDecoder(this);
}
