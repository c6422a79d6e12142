using System.Globalization;

namespace TokenFlow.Inference.Templating;

/// <summary>The filters, tests, methods and global functions chat templates use, with Python's semantics.</summary>
internal static class Builtins
{
    private sealed class Function(Func<List<object?>, Dictionary<string, object?>, object?> body) : ICallable
    {
        public object? Call(List<object?> args, Dictionary<string, object?> kwargs) => body(args, kwargs);
    }

    /// <summary>Globals every template sees: namespace, raise_exception, range, dict, strftime_now.</summary>
    public static void AddGlobals(Frame root, Func<DateTime> now)
    {
        root.Set("namespace", new Function((args, kw) =>
        {
            var ns = new Namespace();
            if (args.Count > 0 && args[0] is IDictionary<string, object?> init) foreach (var kv in init) ns[kv.Key] = kv.Value;
            foreach (var kv in kw) ns[kv.Key] = kv.Value;
            return ns;
        }));
        root.Set("raise_exception", new Function((args, _) => throw new JinjaRaisedException(args.Count > 0 ? Values.Str(args[0]) : "template raised an exception")));
        root.Set("range", new Function((args, _) =>
        {
            long start = 0, stop, step = 1;
            if (args.Count == 1) stop = (long)Values.Num(args[0]);
            else { start = (long)Values.Num(args[0]); stop = (long)Values.Num(args[1]); if (args.Count > 2) step = (long)Values.Num(args[2]); }
            if (step == 0) throw new JinjaException("range() step must not be zero");
            var list = new List<object?>();
            for (var i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
            return list;
        }));
        root.Set("dict", new Function((args, kw) => new Dictionary<string, object?>(kw, StringComparer.Ordinal)));
        root.Set("strftime_now", new Function((args, _) => StrFTime(now(), args.Count > 0 ? Values.Str(args[0]) : "%Y-%m-%d")));
    }

    private static string StrFTime(DateTime t, string fmt)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 == fmt.Length) { sb.Append(fmt[i]); continue; }
            var c = fmt[++i];
            sb.Append(c switch
            {
                'd' => t.ToString("dd", CultureInfo.InvariantCulture), 'm' => t.ToString("MM", CultureInfo.InvariantCulture),
                'Y' => t.ToString("yyyy", CultureInfo.InvariantCulture), 'y' => t.ToString("yy", CultureInfo.InvariantCulture),
                'b' => t.ToString("MMM", CultureInfo.InvariantCulture), 'B' => t.ToString("MMMM", CultureInfo.InvariantCulture),
                'a' => t.ToString("ddd", CultureInfo.InvariantCulture), 'A' => t.ToString("dddd", CultureInfo.InvariantCulture),
                'H' => t.ToString("HH", CultureInfo.InvariantCulture), 'M' => t.ToString("mm", CultureInfo.InvariantCulture),
                'S' => t.ToString("ss", CultureInfo.InvariantCulture), 'j' => t.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }

    public static bool Test(string test, object? v, List<object?> args) => test switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "mapping" => v is IDictionary<string, object?>,
        "iterable" => v is string or IEnumerable<object?>,
        "sequence" => v is string or IEnumerable<object?>,
        "callable" => v is ICallable,
        "odd" => v is long o && o % 2 != 0,
        "even" => v is long e && e % 2 == 0,
        "divisibleby" => v is long a && args.Count > 0 && args[0] is long b && b != 0 && a % b == 0,
        "eq" or "equalto" or "==" or "sameas" => args.Count > 0 && Values.Equal(v, args[0]),
        "ne" or "!=" => args.Count > 0 && !Values.Equal(v, args[0]),
        "lower" => v is string sl && sl == sl.ToLowerInvariant(),
        "upper" => v is string su && su == su.ToUpperInvariant(),
        "in" => args.Count > 0 && Values.Contains(args[0], v),
        _ => throw new JinjaException($"unsupported test '{test}'"),
    };

    private static object? Attr(object? item, string path)
    {
        foreach (var part in path.Split('.')) item = Values.Index(item, long.TryParse(part, out var n) ? n : part);
        return item;
    }

    private static bool Select(object? item, List<object?> args, int from)
    {
        if (args.Count <= from) return Values.Truthy(item);
        var rest = args.Skip(from + 1).ToList();
        return Test(Values.Str(args[from]), item, rest);
    }

    public static object? Filter(string name, object? v, List<object?> args, Dictionary<string, object?> kw)
    {
        object? Arg(int i, string key, object? dflt = null) => i < args.Count ? args[i] : kw.TryGetValue(key, out var x) ? x : dflt;
        switch (name)
        {
            case "trim": return Values.Str(v).Trim();
            case "upper": return Values.Str(v).ToUpperInvariant();
            case "lower": return Values.Str(v).ToLowerInvariant();
            case "capitalize": return Values.Str(v) is { Length: > 0 } cs ? char.ToUpperInvariant(cs[0]) + cs[1..].ToLowerInvariant() : "";
            case "title": return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Values.Str(v).ToLowerInvariant());
            case "length" or "count":
                return v switch { string s => (long)s.Length, System.Collections.ICollection c => (long)c.Count, IEnumerable<object?> e => (long)e.Count(), _ => 0L };
            case "string": return Values.Str(v);
            case "tojson": return Values.Json(v, Arg(0, "indent") is long ind ? (int)ind : null);
            case "first": return Values.Iterate(v).FirstOrDefault(Undefined.Value);
            case "last": return Values.Iterate(v).LastOrDefault(Undefined.Value);
            case "default" or "d":
                var boolean = Values.Truthy(Arg(1, "boolean", false));
                return v is Undefined || (boolean && !Values.Truthy(v)) ? Arg(0, "default_value", "") : v;
            case "join":
                var attr = Arg(1, "attribute") as string;
                return string.Join(Values.Str(Arg(0, "d", "")), Values.Iterate(v).Select(x => Values.Str(attr is null ? x : Attr(x, attr))));
            case "list": return Values.Iterate(v).ToList();
            case "int": return v switch { long l => l, double d => (long)d, bool b => b ? 1L : 0L, string s when long.TryParse(s.Trim(), out var l) => l, _ => Arg(0, "default", 0L) };
            case "float": return v switch { long l => (double)l, double d => d, string s when double.TryParse(s, CultureInfo.InvariantCulture, out var d) => d, _ => 0.0 };
            case "abs": return v is long al ? Math.Abs(al) : Math.Abs(Values.Num(v));
            case "reverse": return v is string rs ? new string(rs.Reverse().ToArray()) : Values.Iterate(v).Reverse().ToList();
            case "items": return v is IDictionary<string, object?> di ? di.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList() : throw new JinjaException("items needs a mapping");
            case "dictsort":
                return v is IDictionary<string, object?> ds ? ds.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList() : throw new JinjaException("dictsort needs a mapping");
            case "selectattr": return Values.Iterate(v).Where(x => Select(Attr(x, Values.Str(args[0])), args, 1)).ToList();
            case "rejectattr": return Values.Iterate(v).Where(x => !Select(Attr(x, Values.Str(args[0])), args, 1)).ToList();
            case "select": return Values.Iterate(v).Where(x => Select(x, args, 0)).ToList();
            case "reject": return Values.Iterate(v).Where(x => !Select(x, args, 0)).ToList();
            case "map":
                if (kw.TryGetValue("attribute", out var ma)) return Values.Iterate(v).Select(x => Attr(x, Values.Str(ma)) is Undefined && kw.TryGetValue("default", out var md) ? md : Attr(x, Values.Str(ma))).ToList();
                return Values.Iterate(v).Select(x => Filter(Values.Str(args[0]), x, args.Skip(1).ToList(), [])).ToList();
            case "unique": return Values.Iterate(v).Aggregate(new List<object?>(), (acc, x) => { if (!acc.Any(y => Values.Equal(x, y))) acc.Add(x); return acc; });
            case "sort":
                var key = Arg(2, "attribute") as string;
                var sorted = Values.Iterate(v).ToList();
                sorted.Sort((a, b) => Values.Order(key is null ? a : Attr(a, key), key is null ? b : Attr(b, key)));
                if (Values.Truthy(Arg(0, "reverse", false))) sorted.Reverse();
                return sorted;
            case "replace": return Values.Str(v).Replace(Values.Str(args[0]), Values.Str(args[1]), StringComparison.Ordinal);
            case "indent":
                var width = Arg(0, "width", 4L) is long w ? (int)w : 4;
                var pad = new string(' ', width);
                var lines = Values.Str(v).Split('\n');
                var first = Values.Truthy(Arg(1, "first", false));
                return string.Join("\n", lines.Select((l, i) => (i == 0 && !first) || l.Length == 0 ? l : pad + l));
            case "safe": return v;
            case "wordcount": return (long)Values.Str(v).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            case "min": return Values.Iterate(v).Aggregate((a, b) => Values.Order(a, b) <= 0 ? a : b);
            case "max": return Values.Iterate(v).Aggregate((a, b) => Values.Order(a, b) >= 0 ? a : b);
            case "sum": return Values.Iterate(v).Aggregate((object?)0L, (a, b) => Values.Arith("+", a, b));
            default: throw new JinjaException($"unsupported filter '{name}'");
        }
    }

    public static object? Method(object? target, string name, List<object?> args, Dictionary<string, object?> kw)
    {
        if (target is string s)
        {
            string? Chars(int i) => i < args.Count && args[i] is string c ? c : null;
            return name switch
            {
                "strip" => Chars(0) is { } c ? s.Trim(c.ToCharArray()) : s.Trim(),
                "lstrip" => Chars(0) is { } c ? s.TrimStart(c.ToCharArray()) : s.TrimStart(),
                "rstrip" => Chars(0) is { } c ? s.TrimEnd(c.ToCharArray()) : s.TrimEnd(),
                "upper" => s.ToUpperInvariant(),
                "lower" => s.ToLowerInvariant(),
                "title" => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant()),
                "capitalize" => s.Length > 0 ? char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant() : "",
                "startswith" => Prefixes(args).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
                "endswith" => Prefixes(args).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
                "find" => (long)s.IndexOf(Values.Str(args[0]), StringComparison.Ordinal),
                "count" => (long)CountOf(s, Values.Str(args[0])),
                "replace" => Replace(s, Values.Str(args[0]), Values.Str(args[1]), args.Count > 2 && args[2] is long n ? n : -1),
                "split" => Split(s, Chars(0), args.Count > 1 && args[1] is long m ? m : -1),
                "rsplit" when args.Count > 0 && args.Count < 2 => s.Split(Values.Str(args[0])).Select(x => (object?)x).ToList(),
                "join" => string.Join(s, Values.Iterate(args[0]).Select(Values.Str)),
                "isdigit" => s.Length > 0 && s.All(char.IsDigit),
                "isspace" => s.Length > 0 && s.All(char.IsWhiteSpace),
                _ => throw new JinjaException($"unsupported string method '{name}'"),
            };
        }
        if (target is IDictionary<string, object?> d)
            return name switch
            {
                "get" => args.Count > 0 && args[0] is string k && d.TryGetValue(k, out var v) ? v : (args.Count > 1 ? args[1] : null),
                "items" => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
                "keys" => d.Keys.Select(k => (object?)k).ToList(),
                "values" => d.Values.ToList(),
                _ => throw new JinjaException($"unsupported mapping method '{name}'"),
            };
        if (target is List<object?> list)
            switch (name)
            {
                case "append": list.Add(args.FirstOrDefault()); return null;
                case "index": return (long)list.FindIndex(x => Values.Equal(x, args[0]));
                case "count": return (long)list.Count(x => Values.Equal(x, args[0]));
            }
        if (target is ICallable callable && name == "call") return callable.Call(args, kw);
        throw new JinjaException($"unsupported method '{name}' on {Values.TypeName(target)}");
    }

    private static IEnumerable<string> Prefixes(List<object?> args) =>
        args.Count == 0 ? [""] : args[0] is IList<object?> many ? many.Select(Values.Str) : [Values.Str(args[0])];

    private static int CountOf(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        var n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static string Replace(string s, string old, string with, long count)
    {
        if (old.Length == 0) return s; // Python inserts between characters; no chat template relies on it
        if (count < 0) return s.Replace(old, with, StringComparison.Ordinal);
        var sb = new System.Text.StringBuilder();
        var pos = 0;
        for (var k = 0; k < count; k++)
        {
            var at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, pos, at - pos).Append(with);
            pos = at + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    /// <summary>Python's str.split: on a separator (with maxsplit), or on runs of whitespace.</summary>
    private static List<object?> Split(string s, string? sep, long max)
    {
        if (sep is not null)
        {
            if (sep.Length == 0) throw new JinjaException("empty separator");
            return (max < 0 ? s.Split(sep) : s.Split(sep, (int)max + 1)).Select(x => (object?)x).ToList();
        }
        var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (max >= 0 && parts.Length > max + 1)
        {
            var head = parts.Take((int)max).ToList();
            var rest = s.TrimStart();
            foreach (var h in head) rest = rest[(rest.IndexOf(h, StringComparison.Ordinal) + h.Length)..].TrimStart();
            return head.Append(rest).Select(x => (object?)x).ToList();
        }
        return parts.Select(x => (object?)x).ToList();
    }
}
