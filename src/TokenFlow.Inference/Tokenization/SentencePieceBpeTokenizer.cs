using System.Text;

namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// SentencePiece-style BPE over scored pieces with byte fallback, encoding exactly as llama2.c's
/// run.c does: BOS, a dummy-prefix space, code points mapped to pieces (or their bytes), then
/// repeatedly merging the adjacent pair whose merged piece has the highest score (ties: leftmost).
/// The repeated scan is done with a priority queue, which picks the same pair at every step.
/// Pieces are raw bytes with spaces (not '▁'); the GGUF loader converts.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITextTokenizer, ITokenBytes
{
    private static readonly Encoding Latin1 = Encoding.Latin1;
    private readonly byte[][] _pieces;
    private readonly float[] _scores;
    private readonly TokenKind[] _kinds;
    private readonly int[] _byteValue;     // token → byte it stands for, or −1
    private readonly int[] _byteToken = new int[256]; // byte → its fallback token, or −1
    private readonly Dictionary<string, int> _lookup; // Latin-1 view of the piece bytes → id
    private readonly SpecialTokenSplitter _specials;
    private readonly HashSet<int> _eog;

    public SentencePieceBpeTokenizer(byte[][] pieces, float[] scores, TokenKind[] kinds, int bosId, int eosId, int unkId,
        bool addBos = true, bool addSpacePrefix = true, IEnumerable<int>? endOfGeneration = null, ISet<int>? rstrip = null)
    {
        if (pieces.Length == 0 || scores.Length != pieces.Length || kinds.Length != pieces.Length)
            throw new InvalidDataException($"tokenizer: {pieces.Length} pieces, {scores.Length} scores, {kinds.Length} types");
        _pieces = pieces;
        _scores = scores;
        _kinds = kinds;
        BosId = bosId;
        EosId = eosId;
        UnkId = unkId;
        _byteValue = new int[pieces.Length];
        Array.Fill(_byteToken, -1);
        _lookup = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (var i = 0; i < pieces.Length; i++)
        {
            _byteValue[i] = kinds[i] == TokenKind.Byte ? ParseByte(pieces[i]) : -1;
            if (_byteValue[i] >= 0 && _byteToken[_byteValue[i]] < 0) _byteToken[_byteValue[i]] = i;
            _lookup.TryAdd(Latin1.GetString(pieces[i]), i);
        }
        MaxPieceBytes = pieces.Max(p => p.Length);
        AddsBos = addBos;
        AddSpacePrefix = addSpacePrefix;
        _specials = new SpecialTokenSplitter(Enumerable.Range(0, pieces.Length)
            .Where(i => kinds[i] is TokenKind.Control or TokenKind.UserDefined or TokenKind.Unknown)
            .Select(i => (Encoding.UTF8.GetString(pieces[i]), i, kinds[i], rstrip?.Contains(i) ?? false)));
        _eog = new HashSet<int>((endOfGeneration ?? []).Where(id => (uint)id < (uint)pieces.Length)) { eosId };
    }

    public bool AddsBos { get; }
    /// <summary>SentencePiece's dummy prefix: a space before the text (and after every special token in it).</summary>
    public bool AddSpacePrefix { get; }
    public IReadOnlySet<int> EndOfGenerationIds => _eog;
    public string TokenizerKind => "SentencePiece";
    public TokenKind Kind(int id) => _kinds[id];
    public string? Pre => null;
    public TokenKind KindOf(int id) => _kinds[id];
    /// <summary>The piece as text, with SentencePiece's '▁' for spaces.</summary>
    public string TokenText(int id) => Encoding.UTF8.GetString(_pieces[id]).Replace(' ', '\u2581');

    public int VocabSize => _pieces.Length;
    public int BosId { get; }
    public int EosId { get; }
    public int UnkId { get; }
    public int MaxPieceBytes { get; }

    public ReadOnlySpan<byte> Piece(int id) => _pieces[id];
    public float Score(int id) => _scores[id];

    /// <summary>Reads a llama2.c tokenizer.bin (max_token_length, then {score, len, bytes} per piece).</summary>
    public static SentencePieceBpeTokenizer LoadLlama2c(string path, int? expectedVocab = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer file not found", path);
        var data = File.ReadAllBytes(path);
        if (data.Length < 4) throw new InvalidDataException($"{path}: truncated tokenizer (no header)");
        var pieces = new List<byte[]>();
        var scores = new List<float>();
        var pos = 4;
        var maxLen = BitConverter.ToInt32(data, 0);
        if (maxLen <= 0 || maxLen > 4096) throw new InvalidDataException($"{path}: not a llama2.c tokenizer (max_token_length {maxLen})");
        while (pos < data.Length && (expectedVocab is null || pieces.Count < expectedVocab))
        {
            if (pos + 8 > data.Length) throw new InvalidDataException($"{path}: truncated tokenizer at piece {pieces.Count}");
            var score = BitConverter.ToSingle(data, pos);
            var len = BitConverter.ToInt32(data, pos + 4);
            pos += 8;
            if (len < 0 || len > maxLen || pos + len > data.Length) throw new InvalidDataException($"{path}: corrupt tokenizer: piece {pieces.Count} has length {len}");
            pieces.Add(data.AsSpan(pos, len).ToArray());
            scores.Add(score);
            pos += len;
        }
        if (expectedVocab is { } n && pieces.Count != n)
            throw new InvalidDataException($"{path}: tokenizer has {pieces.Count} pieces but the model's vocab_size is {n}");
        // llama2.c's layout: 0 <unk>, 1 BOS, 2 EOS, then byte pieces.
        var kinds = new TokenKind[pieces.Count];
        for (var i = 0; i < kinds.Length; i++)
            kinds[i] = i == 0 ? TokenKind.Unknown : i <= 2 ? TokenKind.Control : ParseByte(pieces[i]) >= 0 ? TokenKind.Byte : TokenKind.Normal;
        return new SentencePieceBpeTokenizer(pieces.ToArray(), scores.ToArray(), kinds, bosId: 1, eosId: 2, unkId: 0);
    }

    /// <summary>A byte-level tokenizer: &lt;unk&gt;, BOS, EOS and the 256 byte pieces (for the synthetic model).</summary>
    public static SentencePieceBpeTokenizer CreateByteLevel()
    {
        var pieces = new byte[259][];
        var kinds = new TokenKind[259];
        pieces[0] = "<unk>"u8.ToArray(); kinds[0] = TokenKind.Unknown;
        pieces[1] = "\n<s>\n"u8.ToArray(); kinds[1] = TokenKind.Control;
        pieces[2] = "\n</s>\n"u8.ToArray(); kinds[2] = TokenKind.Control;
        for (var b = 0; b < 256; b++) { pieces[b + 3] = Encoding.ASCII.GetBytes($"<0x{b:X2}>"); kinds[b + 3] = TokenKind.Byte; }
        return new SentencePieceBpeTokenizer(pieces, new float[259], kinds, 1, 2, 0);
    }

    public int[] Encode(string text, bool addBos = true) => Encode(text, addBos, parseSpecial: false);

    public int[] EncodeWithSpecials(string text, bool addBos) => Encode(text, addBos, parseSpecial: true);

    private int[] Encode(string text, bool addBos, bool parseSpecial)
    {
        var ids = new List<int>(text.Length + 2);
        if (addBos && AddsBos) ids.Add(BosId);
        var prevSpecial = true;
        foreach (var f in _specials.Split(text, parseSpecial))
        {
            if (f.Token >= 0) { ids.Add(f.Token); prevSpecial = true; continue; }
            ids.AddRange(EncodeRaw(text.Substring(f.Start, f.Length), prevSpecial && AddSpacePrefix));
            prevSpecial = false;
        }
        return ids.ToArray();
    }

    private int[] EncodeRaw(string text, bool spacePrefix)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new List<int>(bytes.Length + 2);
        if (bytes.Length > 0 && spacePrefix)
        {
            if (_lookup.TryGetValue(" ", out var space)) ids.Add(space);
            else AddBytes(ids, " "u8);
        }
        // Code points as run.c groups them: a lead byte and up to 3 continuation bytes.
        var i = 0;
        while (i < bytes.Length)
        {
            var len = 1;
            while (i + len < bytes.Length && (bytes[i + len] & 0xC0) == 0x80 && len < 4) len++;
            var cp = bytes.AsSpan(i, len);
            if (_lookup.TryGetValue(Latin1.GetString(cp), out var id)) ids.Add(id);
            else AddBytes(ids, cp);
            i += len;
        }
        return Merge(ids);
    }

    private void AddBytes(List<int> ids, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) ids.Add(_byteToken[b] >= 0 ? _byteToken[b] : UnkId);
    }

    private int[] Merge(List<int> ids)
    {
        var n = ids.Count;
        if (n < 2) return ids.ToArray();
        var tok = ids.ToArray();
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        for (var k = 0; k < n; k++) { next[k] = k + 1 < n ? k + 1 : -1; prev[k] = k - 1; alive[k] = true; }
        var queue = new PriorityQueue<(int Left, int Right, int LeftTok, int RightTok, int Merged), (float, int)>();
        void Try(int l, int r)
        {
            if (l < 0 || r < 0) return;
            var key = Latin1.GetString(_pieces[tok[l]]) + Latin1.GetString(_pieces[tok[r]]);
            if (_lookup.TryGetValue(key, out var id)) queue.Enqueue((l, r, tok[l], tok[r], id), (-_scores[id], l));
        }
        for (var k = 0; k + 1 < n; k++) Try(k, k + 1);
        var remaining = n;
        while (queue.TryDequeue(out var c, out _))
        {
            if (!alive[c.Left] || !alive[c.Right] || next[c.Left] != c.Right || tok[c.Left] != c.LeftTok || tok[c.Right] != c.RightTok) continue;
            tok[c.Left] = c.Merged;
            alive[c.Right] = false;
            next[c.Left] = next[c.Right];
            if (next[c.Right] >= 0) prev[next[c.Right]] = c.Left;
            remaining--;
            Try(prev[c.Left], c.Left);
            Try(c.Left, next[c.Left]);
        }
        var result = new int[remaining];
        var j = 0;
        for (var k = 0; k >= 0; k = next[k]) result[j++] = tok[k];
        return result;
    }

    /// <summary>Appends a token's bytes (byte pieces become raw bytes; control tokens nothing; a leading space is dropped after BOS).</summary>
    public void AppendBytes(int prevToken, int token, List<byte> into)
    {
        if ((uint)token >= (uint)_pieces.Length) { into.AddRange("\uFFFD"u8); return; }
        var kind = _kinds[token];
        if (kind is TokenKind.Control or TokenKind.Unknown or TokenKind.Unused) return;
        if (kind == TokenKind.Byte && _byteValue[token] >= 0) { into.Add((byte)_byteValue[token]); return; }
        var p = _pieces[token].AsSpan();
        if (prevToken == BosId && p.Length > 0 && p[0] == (byte)' ') p = p[1..];
        foreach (var b in p) into.Add(b);
    }

    public string Decode(IReadOnlyList<int> tokens) => Utf8StreamingDecoder.DecodeAll(this, tokens);

    public IStreamingDecoder CreateStreamingDecoder() => new Utf8StreamingDecoder(this);

    /// <summary>"&lt;0xHH&gt;" → HH, else −1.</summary>
    internal static int ParseByte(ReadOnlySpan<byte> p)
    {
        if (p.Length != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') return -1;
        var hi = Hex(p[3]);
        var lo = Hex(p[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };
}
