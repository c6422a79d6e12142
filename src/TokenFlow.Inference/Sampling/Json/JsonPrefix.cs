using System.Runtime.CompilerServices;

namespace TokenFlow.Inference.Sampling.Json;

/// <summary>
/// A byte-level recogniser of prefixes of one JSON object (RFC 8259; the top level must be an object).
/// A value type with a fixed-depth stack, so trying a token is a copy plus a few steps. Whitespace
/// outside strings is allowed only singly (no endless blank runs), nesting up to <see cref="MaxDepth"/>.
/// <see cref="ClosingLength"/> is the fewest bytes that complete the document, used to force an end
/// before the token budget runs out.
/// </summary>
public struct JsonPrefix
{
    public const int MaxDepth = 24;

    private enum Lex : byte
    {
        Start, ObjFirst, ObjKey, Key, KeyEscape, KeyHex, AfterKey, Value, ArrFirst, Str, StrEscape, StrHex,
        Minus, Zero, Int, Dot, Frac, Exp, ExpSign, ExpInt, Literal, AfterValue, Done,
    }

    private DepthStack _stack; // '{' or '['
    private int _depth;
    private Lex _lex;
    private byte _aux;      // hex digits left, or literal position
    private byte _literal;  // 't', 'f' or 'n'
    private bool _lastWs;

    public readonly bool IsDone => _lex == Lex.Done;

    private static ReadOnlySpan<byte> True => "true"u8;
    private static ReadOnlySpan<byte> False => "false"u8;
    private static ReadOnlySpan<byte> Null => "null"u8;

    private static ReadOnlySpan<byte> LiteralOf(byte c) => c == 't' ? True : c == 'f' ? False : Null;

    /// <summary>Feeds bytes; false (state then undefined) when they leave the language.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) if (!Step(b)) return false;
        return true;
    }

    private static bool IsWs(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r';
    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
    private static bool IsHex(byte b) => IsDigit(b) || b is >= (byte)'a' and <= (byte)'f' || b is >= (byte)'A' and <= (byte)'F';

    public bool Step(byte b)
    {
        switch (_lex)
        {
            case Lex.Key or Lex.Str:
                if (b == '"') { _lex = _lex == Lex.Key ? Lex.AfterKey : Lex.AfterValue; _lastWs = false; return true; }
                if (b == '\\') { _lex = _lex == Lex.Key ? Lex.KeyEscape : Lex.StrEscape; return true; }
                return b >= 0x20 && b != 0x7F;
            case Lex.KeyEscape or Lex.StrEscape:
                var key = _lex == Lex.KeyEscape;
                if (b == 'u') { _lex = key ? Lex.KeyHex : Lex.StrHex; _aux = 4; return true; }
                if (b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t') { _lex = key ? Lex.Key : Lex.Str; return true; }
                return false;
            case Lex.KeyHex or Lex.StrHex:
                if (!IsHex(b)) return false;
                if (--_aux == 0) _lex = _lex == Lex.KeyHex ? Lex.Key : Lex.Str;
                return true;
            case Lex.Literal:
                var lit = LiteralOf(_literal);
                if (b != lit[_aux]) return false;
                if (++_aux == lit.Length) { _lex = Lex.AfterValue; _lastWs = false; }
                return true;
            case Lex.Minus:
                if (b == '0') { _lex = Lex.Zero; return true; }
                if (IsDigit(b)) { _lex = Lex.Int; return true; }
                return false;
            case Lex.Zero or Lex.Int:
                if (_lex == Lex.Int && IsDigit(b)) return true;
                if (b == '.') { _lex = Lex.Dot; return true; }
                if (b is (byte)'e' or (byte)'E') { _lex = Lex.Exp; return true; }
                return EndNumber(b);
            case Lex.Dot:
                if (IsDigit(b)) { _lex = Lex.Frac; return true; }
                return false;
            case Lex.Frac:
                if (IsDigit(b)) return true;
                if (b is (byte)'e' or (byte)'E') { _lex = Lex.Exp; return true; }
                return EndNumber(b);
            case Lex.Exp:
                if (b is (byte)'+' or (byte)'-') { _lex = Lex.ExpSign; return true; }
                if (IsDigit(b)) { _lex = Lex.ExpInt; return true; }
                return false;
            case Lex.ExpSign:
                if (IsDigit(b)) { _lex = Lex.ExpInt; return true; }
                return false;
            case Lex.ExpInt:
                if (IsDigit(b)) return true;
                return EndNumber(b);
            case Lex.Done:
                return false;
        }
        // Structural states: single whitespace allowed between tokens.
        if (IsWs(b))
        {
            if (_lastWs) return false;
            _lastWs = true;
            return true;
        }
        _lastWs = false;
        switch (_lex)
        {
            case Lex.Start:
                return b == '{' && Push(b);
            case Lex.ObjFirst:
                if (b == '}') return Pop();
                if (b == '"') { _lex = Lex.Key; return true; }
                return false;
            case Lex.ObjKey:
                if (b == '"') { _lex = Lex.Key; return true; }
                return false;
            case Lex.AfterKey:
                if (b == ':') { _lex = Lex.Value; return true; }
                return false;
            case Lex.ArrFirst:
                if (b == ']') return Pop();
                return StartValue(b);
            case Lex.Value:
                return StartValue(b);
            case Lex.AfterValue:
                var top = _stack[_depth - 1];
                if (b == ',') { _lex = top == '{' ? Lex.ObjKey : Lex.Value; return true; }
                if ((b == '}' && top == '{') || (b == ']' && top == '[')) return Pop();
                return false;
        }
        return false;
    }

    private bool EndNumber(byte b)
    {
        _lex = Lex.AfterValue;
        _lastWs = false;
        return Step(b);
    }

    private bool StartValue(byte b)
    {
        switch (b)
        {
            case (byte)'{' or (byte)'[': return Push(b);
            case (byte)'"': _lex = Lex.Str; return true;
            case (byte)'-': _lex = Lex.Minus; return true;
            case (byte)'0': _lex = Lex.Zero; return true;
            case (byte)'t' or (byte)'f' or (byte)'n': _lex = Lex.Literal; _literal = b; _aux = 1; return true;
        }
        if (IsDigit(b)) { _lex = Lex.Int; return true; }
        return false;
    }

    private bool Push(byte b)
    {
        if (_depth == MaxDepth) return false;
        _stack[_depth++] = b;
        _lex = b == '{' ? Lex.ObjFirst : Lex.ArrFirst;
        return true;
    }

    private bool Pop()
    {
        _depth--;
        _lex = _depth == 0 ? Lex.Done : Lex.AfterValue;
        return true;
    }

    /// <summary>The next byte of the shortest completion (undefined when done).</summary>
    public readonly byte ClosingByte() => _lex switch
    {
        Lex.Start => (byte)'{',
        Lex.ObjFirst => (byte)'}',
        Lex.ObjKey or Lex.Key or Lex.Str => (byte)'"',
        Lex.KeyEscape or Lex.StrEscape => (byte)'n',
        Lex.KeyHex or Lex.StrHex => (byte)'0',
        Lex.AfterKey => (byte)':',
        Lex.Value or Lex.Minus or Lex.Dot or Lex.Exp or Lex.ExpSign => (byte)'0',
        Lex.ArrFirst => (byte)']',
        Lex.Literal => LiteralOf(_literal)[_aux],
        _ => _stack[_depth - 1] == '{' ? (byte)'}' : (byte)']', // after a value or a complete number
    };

    /// <summary>Bytes in the shortest completion.</summary>
    public readonly int ClosingLength()
    {
        var s = this;
        var n = 0;
        while (!s.IsDone && n < 4 * MaxDepth + 16)
        {
            if (!s.Step(s.ClosingByte())) return int.MaxValue;
            n++;
        }
        return n;
    }
}

[InlineArray(JsonPrefix.MaxDepth)]
internal struct DepthStack
{
    private byte _element;
}
