namespace TokenFlow.Inference.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character map: byte-level BPE vocabularies spell every byte as one
/// printable character (printable Latin-1 bytes stand for themselves, the rest map to U+0100 on).
/// </summary>
public static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    public static char Encode(byte b) => ByteToChar[b];

    /// <summary>The byte a mapped character stands for, or −1 when it is not one of the 256.</summary>
    public static int Decode(char c) => CharToByte.TryGetValue(c, out var b) ? b : -1;

    /// <summary>A vocabulary string spelled in mapped characters back to its bytes (null if any character is not a mapped byte).</summary>
    public static byte[]? DecodeString(string s)
    {
        var bytes = new byte[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            var b = Decode(s[i]);
            if (b < 0) return null;
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }
}
