using System.Globalization;
using System.Text;

namespace TokenFlow.Inference.Templating;

/// <summary>Jinja's undefined value: empty when printed, false when tested.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Value = new();
    public override string ToString() => "";
}

/// <summary>The object <c>namespace()</c> returns: attributes that <c>{% set ns.x = … %}</c> can change from inside loops.</summary>
internal sealed class Namespace : Dictionary<string, object?>
{
    public Namespace() : base(StringComparer.Ordinal) { }
}

/// <summary>Something a template can call: a macro or a built-in function.</summary>
internal interface ICallable
{
    object? Call(List<object?> args, Dictionary<string, object?> kwargs);
}

/// <summary>Python semantics of the values templates see: None/bool/int/float/str/list/dict.</summary>
internal static class Values
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>Python's str().</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        _ => Repr(v),
    };

    /// <summary>Python's repr(), as str() of a list or dict prints its items.</summary>
    public static string Repr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        IDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        IEnumerable<object?> e => "[" + string.Join(", ", e.Select(Repr)) + "]",
        _ => v.ToString() ?? "",
    };

    private static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }

    /// <summary>Python's json.dumps with transformers' defaults (", " and ": " separators, non-ASCII kept).</summary>
    public static string Json(object? v, int? indent = null)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, indent, 0);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, object? v, int? indent, int depth)
    {
        void NewLine(int d) { if (indent is { } n) sb.Append('\n').Append(' ', n * d); }
        switch (v)
        {
            case null or Undefined: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatRepr(d)); break;
            case string s: JsonString(sb, s); break;
            case IDictionary<string, object?> map:
                if (map.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var first = true;
                foreach (var kv in map)
                {
                    if (!first) sb.Append(indent is null ? ", " : ",");
                    first = false;
                    NewLine(depth + 1);
                    JsonString(sb, kv.Key);
                    sb.Append(": ");
                    WriteJson(sb, kv.Value, indent, depth + 1);
                }
                NewLine(depth);
                sb.Append('}');
                break;
            case IEnumerable<object?> list:
                var items = list.ToList();
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (var i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(indent is null ? ", " : ",");
                    NewLine(depth + 1);
                    WriteJson(sb, items[i], indent, depth + 1);
                }
                NewLine(depth);
                sb.Append(']');
                break;
            default: JsonString(sb, v.ToString() ?? ""); break;
        }
    }

    private static void JsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append($"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        sb.Append('"');
    }

    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        null or Undefined => [],
        string s => s.Select(c => (object?)c.ToString()),
        IDictionary<string, object?> d => d.Keys,
        IEnumerable<object?> e => e,
        _ => throw new JinjaException($"{TypeName(v)} is not iterable"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "None", Undefined => "undefined", bool => "bool", long => "int", double => "float", string => "str",
        IDictionary<string, object?> => "dict", IEnumerable<object?> => "list", ICallable => "function", _ => v.GetType().Name,
    };

    public static object? Index(object? target, object? key)
    {
        switch (target)
        {
            case IDictionary<string, object?> d when key is string k:
                return d.TryGetValue(k, out var v) ? v : Undefined.Value;
            case IList<object?> list when key is long i:
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : Undefined.Value;
            case string s when key is long j:
                if (j < 0) j += s.Length;
                return j >= 0 && j < s.Length ? s[(int)j].ToString() : Undefined.Value;
            default:
                return Undefined.Value;
        }
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var st = step is long sl ? sl : 1;
        if (st == 0) throw new JinjaException("slice step cannot be zero");
        List<object?> items;
        switch (target)
        {
            case string s: items = s.Select(c => (object?)c.ToString()).ToList(); break;
            case IEnumerable<object?> e: items = e.ToList(); break;
            default: throw new JinjaException($"{TypeName(target)} cannot be sliced");
        }
        var n = items.Count;
        long Norm(object? x, long dflt, long lo, long hi) => x is long l ? Math.Clamp(l < 0 ? l + n : l, lo, hi) : dflt;
        var result = new List<object?>();
        if (st > 0)
        {
            var a = Norm(start, 0, 0, n); var b = Norm(stop, n, 0, n);
            for (var i = a; i < b; i += st) result.Add(items[(int)i]);
        }
        else
        {
            var a = Norm(start, n - 1, -1, n - 1); var b = Norm(stop, -1, -1, n - 1);
            for (var i = a; i > b; i += st) result.Add(items[(int)i]);
        }
        return target is string ? string.Concat(result.Select(x => (string)x!)) : result;
    }

    public static bool Equal(object? a, object? b) => (a, b) switch
    {
        (long x, double y) => x == y,
        (double x, long y) => x == y,
        (bool x, long y) => (x ? 1 : 0) == y,
        (long x, bool y) => x == (y ? 1 : 0),
        (Undefined, Undefined) => true,
        (Undefined, _) or (_, Undefined) => false,
        (IList<object?> x, IList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
        _ => Equals(a, b),
    };

    public static int Order(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        _ when IsNum(a) && IsNum(b) => Num(a).CompareTo(Num(b)),
        _ => throw new JinjaException($"'<' not supported between {TypeName(a)} and {TypeName(b)}"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string x => s.Contains(x, StringComparison.Ordinal),
        IDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        IEnumerable<object?> e => e.Any(x => Equal(x, item)),
        null or Undefined => false,
        _ => throw new JinjaException($"'in' needs a container, not {TypeName(container)}"),
    };

    public static bool IsNum(object? v) => v is long or double or bool;
    public static double Num(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => throw new JinjaException($"{TypeName(v)} is not a number") };

    public static object? Arith(string op, object? a, object? b)
    {
        if (op == "~") return Str(a) + Str(b);
        if (op == "+" && a is string sa) return b is string sb ? sa + sb : throw new JinjaException($"can only concatenate str (not \"{TypeName(b)}\") to str");
        if (op == "+" && a is IList<object?> la && b is IList<object?> lb) return la.Concat(lb).ToList();
        if (op == "*" && a is string rep && b is long times) return string.Concat(Enumerable.Repeat(rep, (int)Math.Max(0, times)));
        if (op == "%" && a is string fmt) return Format(fmt, b);
        if (a is long x && b is long y)
            return op switch
            {
                "+" => (object)(x + y), "-" => x - y, "*" => x * y,
                "%" => y == 0 ? throw new JinjaException("modulo by zero") : (object)(((x % y) + y) % y),
                "//" => y == 0 ? throw new JinjaException("division by zero") : (object)(long)Math.Floor((double)x / y),
                "**" => (long)Math.Pow(x, y),
                _ => y == 0 ? throw new JinjaException("division by zero") : (object)((double)x / y),
            };
        var p = Num(a); var q = Num(b);
        return op switch { "+" => p + q, "-" => p - q, "*" => p * q, "%" => p % q, "//" => Math.Floor(p / q), "**" => Math.Pow(p, q), _ => p / q };
    }

    /// <summary>printf-style <c>"%s" % x</c> (and a tuple/list of values).</summary>
    private static string Format(string fmt, object? args)
    {
        var list = args is IList<object?> l ? l : [args];
        var sb = new StringBuilder();
        var k = 0;
        for (var i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            var c = fmt[++i];
            if (c == '%') { sb.Append('%'); continue; }
            var v = k < list.Count ? list[k++] : throw new JinjaException("not enough arguments for format string");
            sb.Append(c switch { 'd' or 'i' => ((long)Num(v)).ToString(CultureInfo.InvariantCulture), 'r' => Repr(v), _ => Str(v) });
        }
        return sb.ToString();
    }
}
