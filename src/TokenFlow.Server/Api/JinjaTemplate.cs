using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TokenFlow.Server.Api;

/// <summary>Raised when a template is outside the supported subset or fails to render.</summary>
public sealed class JinjaException(string message) : Exception(message);

/// <summary>
/// A small Jinja subset, enough for the common Llama/Mistral/ChatML chat templates: text, {{ }},
/// {% if/elif/else %}, {% for %} with loop.*, {% set %}, comments, whitespace control, HF's
/// trim_blocks/lstrip_blocks, literals, . and [] access, slices, + ~ % and comparisons, and/or/not,
/// in, is (not) defined/none/string, inline if-else, a few filters and string methods, and
/// raise_exception. Anything else raises <see cref="JinjaException"/> and the caller falls back.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Node> _body;
    private JinjaTemplate(List<Node> body) => _body = body;

    public static JinjaTemplate Parse(string source)
    {
        var parser = new TemplateParser(Lex(source));
        var body = parser.ParseBlock(out var end);
        if (end is not null) throw new JinjaException($"unexpected {{% {end} %}}");
        return new JinjaTemplate(body);
    }

    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var scope = new Dictionary<string, object?>(variables);
        var sb = new StringBuilder();
        var steps = 0;
        foreach (var n in _body) n.Render(sb, scope, ref steps);
        return sb.ToString();
    }

    // ---------------- lexing: text and tags ----------------

    private sealed record Segment(char Kind, string Text); // 'T' text, 'E' expression, 'S' statement

    private static List<Segment> Lex(string s)
    {
        var list = new List<Segment>();
        var i = 0;
        var stripNext = false;
        var trimNewline = false;
        while (i < s.Length)
        {
            var open = IndexOfTag(s, i);
            var text = open < 0 ? s[i..] : s[i..open];
            if (stripNext) text = text.TrimStart();
            else if (trimNewline && text.StartsWith('\n')) text = text[1..];
            else if (trimNewline && text.StartsWith("\r\n", StringComparison.Ordinal)) text = text[2..];
            stripNext = trimNewline = false;
            if (open < 0) { if (text.Length > 0) list.Add(new Segment('T', text)); break; }
            var kind = s[open + 1];
            var close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            var end = s.IndexOf(close, open + 2, StringComparison.Ordinal);
            if (end < 0) throw new JinjaException("unterminated tag");
            var inner = s[(open + 2)..end];
            var lstrip = inner.StartsWith('-');
            var rstrip = inner.EndsWith('-');
            if (lstrip) text = text.TrimEnd();
            else if (kind == '%')
            {
                // lstrip_blocks: spaces and tabs between the line start and a block tag go.
                var nl = text.LastIndexOf('\n');
                var tail = text[(nl + 1)..];
                if (tail.Trim(' ', '\t').Length == 0 && (nl >= 0 || list.Count == 0 || i == 0)) text = text[..(nl + 1)];
            }
            if (text.Length > 0) list.Add(new Segment('T', text));
            if (lstrip) inner = inner[1..];
            if (rstrip) inner = inner[..^1];
            if (kind == '{') list.Add(new Segment('E', inner.Trim()));
            else if (kind == '%') list.Add(new Segment('S', inner.Trim()));
            stripNext = rstrip;
            trimNewline = !rstrip && kind == '%'; // trim_blocks
            i = end + 2;
        }
        return list;
    }

    private static int IndexOfTag(string s, int from)
    {
        for (var i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    // ---------------- statements ----------------

    private abstract class Node
    {
        public abstract void Render(StringBuilder sb, Dictionary<string, object?> scope, ref int steps);
    }

    private sealed class TextNode(string text) : Node
    {
        public override void Render(StringBuilder sb, Dictionary<string, object?> scope, ref int steps) => sb.Append(text);
    }

    private sealed class OutputNode(Expr e) : Node
    {
        public override void Render(StringBuilder sb, Dictionary<string, object?> scope, ref int steps) => sb.Append(Values.Str(e.Eval(scope)));
    }

    private sealed class SetNode(string name, Expr e) : Node
    {
        public override void Render(StringBuilder sb, Dictionary<string, object?> scope, ref int steps) => scope[name] = e.Eval(scope);
    }

    private sealed class IfNode(List<(Expr Cond, List<Node> Body)> branches, List<Node>? otherwise) : Node
    {
        public override void Render(StringBuilder sb, Dictionary<string, object?> scope, ref int steps)
        {
            foreach (var (c, body) in branches)
                if (Values.Truthy(c.Eval(scope))) { foreach (var n in body) n.Render(sb, scope, ref steps); return; }
            if (otherwise is not null) foreach (var n in otherwise) n.Render(sb, scope, ref steps);
        }
    }

    private sealed class ForNode(string[] names, Expr source, List<Node> body, List<Node>? otherwise) : Node
    {
        public override void Render(StringBuilder sb, Dictionary<string, object?> scope, ref int steps)
        {
            var items = Values.Iterate(source.Eval(scope)).ToList();
            if (items.Count == 0 && otherwise is not null) { foreach (var n in otherwise) n.Render(sb, scope, ref steps); return; }
            var saved = names.Select(n => scope.TryGetValue(n, out var v) ? v : Undefined.Value).ToArray();
            var savedLoop = scope.TryGetValue("loop", out var l) ? l : Undefined.Value;
            for (var i = 0; i < items.Count; i++)
            {
                if (++steps > 100_000) throw new JinjaException("template loops too long");
                if (names.Length == 1) scope[names[0]] = items[i];
                else
                {
                    var parts = Values.Iterate(items[i]).ToList();
                    for (var k = 0; k < names.Length; k++) scope[names[k]] = k < parts.Count ? parts[k] : Undefined.Value;
                }
                scope["loop"] = new Dictionary<string, object?>
                {
                    ["index"] = (long)i + 1, ["index0"] = (long)i, ["first"] = i == 0, ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                    ["previtem"] = i > 0 ? items[i - 1] : Undefined.Value, ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Value,
                };
                foreach (var n in body) n.Render(sb, scope, ref steps);
            }
            for (var k = 0; k < names.Length; k++) scope[names[k]] = saved[k];
            scope["loop"] = savedLoop;
        }
    }

    private sealed class TemplateParser(List<Segment> segments)
    {
        private int _pos;

        /// <summary>Parses nodes until an end/else/elif tag, returned in <paramref name="end"/> (null at end of input).</summary>
        public List<Node> ParseBlock(out string? end)
        {
            var nodes = new List<Node>();
            while (_pos < segments.Count)
            {
                var seg = segments[_pos++];
                switch (seg.Kind)
                {
                    case 'T': nodes.Add(new TextNode(seg.Text)); break;
                    case 'E': nodes.Add(new OutputNode(ExprParser.ParseAll(seg.Text))); break;
                    default:
                        var word = seg.Text.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } w ? w[0] : "";
                        var rest = seg.Text.Length > word.Length ? seg.Text[word.Length..].Trim() : "";
                        switch (word)
                        {
                            case "if": nodes.Add(ParseIf(rest)); break;
                            case "for": nodes.Add(ParseFor(rest)); break;
                            case "set":
                                var eq = rest.IndexOf('=');
                                if (eq <= 0) throw new JinjaException("block set is not supported");
                                nodes.Add(new SetNode(rest[..eq].Trim(), ExprParser.ParseAll(rest[(eq + 1)..])));
                                break;
                            case "endif" or "endfor" or "else" or "elif":
                                end = seg.Text;
                                return nodes;
                            default: throw new JinjaException($"unsupported tag '{word}'");
                        }
                        break;
                }
            }
            end = null;
            return nodes;
        }

        private IfNode ParseIf(string cond)
        {
            var branches = new List<(Expr, List<Node>)>();
            List<Node>? otherwise = null;
            var current = ExprParser.ParseAll(cond);
            while (true)
            {
                var body = ParseBlock(out var end);
                branches.Add((current, body));
                if (end is null) throw new JinjaException("missing endif");
                if (end == "endif") break;
                if (end == "else")
                {
                    otherwise = ParseBlock(out var end2);
                    if (end2 != "endif") throw new JinjaException("missing endif");
                    break;
                }
                if (end.StartsWith("elif", StringComparison.Ordinal)) { current = ExprParser.ParseAll(end[4..]); continue; }
                throw new JinjaException($"unexpected {end}");
            }
            return new IfNode(branches, otherwise);
        }

        private ForNode ParseFor(string header)
        {
            var inAt = header.IndexOf(" in ", StringComparison.Ordinal);
            if (inAt < 0) throw new JinjaException("for without in");
            var names = header[..inAt].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var source = ExprParser.ParseAll(header[(inAt + 4)..]);
            var body = ParseBlock(out var end);
            List<Node>? otherwise = null;
            if (end == "else") { otherwise = ParseBlock(out end); }
            if (end != "endfor") throw new JinjaException("missing endfor");
            return new ForNode(names, source, body, otherwise);
        }
    }

    // ---------------- expressions ----------------

    private abstract class Expr { public abstract object? Eval(Dictionary<string, object?> scope); }
    private sealed class Lit(object? v) : Expr { public override object? Eval(Dictionary<string, object?> s) => v; }
    private sealed class Name(string n) : Expr { public override object? Eval(Dictionary<string, object?> s) => s.TryGetValue(n, out var v) ? v : Undefined.Value; }
    private sealed class ListLit(List<Expr> items) : Expr { public override object? Eval(Dictionary<string, object?> s) => items.Select(i => i.Eval(s)).ToList(); }
    private sealed class Fn(Func<Dictionary<string, object?>, object?> f) : Expr { public override object? Eval(Dictionary<string, object?> s) => f(s); }

    private sealed class ExprParser
    {
        private readonly List<string> _t;
        private int _i;
        private ExprParser(List<string> tokens) => _t = tokens;

        public static Expr ParseAll(string text)
        {
            var p = new ExprParser(Tokenize(text));
            var e = p.Ternary();
            if (p._i != p._t.Count) throw new JinjaException($"unexpected '{p._t[p._i]}' in expression");
            return e;
        }

        private string? Peek => _i < _t.Count ? _t[_i] : null;
        private bool Accept(string s) { if (Peek == s) { _i++; return true; } return false; }
        private void Expect(string s) { if (!Accept(s)) throw new JinjaException($"expected '{s}'"); }

        private Expr Ternary()
        {
            var a = Or();
            if (Peek == "if")
            {
                _i++;
                var cond = Or();
                var b = Accept("else") ? Ternary() : new Lit(Undefined.Value);
                return new Fn(s => Values.Truthy(cond.Eval(s)) ? a.Eval(s) : b.Eval(s));
            }
            return a;
        }

        private Expr Or() { var a = And(); while (Accept("or")) { var l = a; var r = And(); a = new Fn(s => { var x = l.Eval(s); return Values.Truthy(x) ? x : r.Eval(s); }); } return a; }
        private Expr And() { var a = Not(); while (Accept("and")) { var l = a; var r = Not(); a = new Fn(s => { var x = l.Eval(s); return !Values.Truthy(x) ? x : r.Eval(s); }); } return a; }
        private Expr Not() { if (Accept("not")) { var e = Not(); return new Fn(s => !Values.Truthy(e.Eval(s))); } return Compare(); }

        private Expr Compare()
        {
            var a = Concat();
            while (true)
            {
                var op = Peek;
                if (op is "==" or "!=" or "<" or ">" or "<=" or ">=")
                {
                    _i++;
                    var l = a; var r = Concat();
                    a = new Fn(s => Values.Compare(op, l.Eval(s), r.Eval(s)));
                }
                else if (op == "in" || (op == "not" && _i + 1 < _t.Count && _t[_i + 1] == "in"))
                {
                    var negate = op == "not";
                    _i += negate ? 2 : 1;
                    var l = a; var r = Concat();
                    a = new Fn(s => Values.Contains(r.Eval(s), l.Eval(s)) != negate);
                }
                else if (op == "is")
                {
                    _i++;
                    var negate = Accept("not");
                    var test = Peek ?? throw new JinjaException("missing test after 'is'");
                    _i++;
                    var l = a;
                    a = new Fn(s => Values.Test(test, l.Eval(s)) != negate);
                }
                else return a;
            }
        }

        private Expr Concat()
        {
            var a = Mul();
            while (Peek is "+" or "-" or "~")
            {
                var op = _t[_i++];
                var l = a; var r = Mul();
                a = new Fn(s => Values.Arith(op, l.Eval(s), r.Eval(s)));
            }
            return a;
        }

        private Expr Mul()
        {
            var a = Unary();
            while (Peek is "*" or "/" or "%" or "//")
            {
                var op = _t[_i++];
                var l = a; var r = Unary();
                a = new Fn(s => Values.Arith(op, l.Eval(s), r.Eval(s)));
            }
            return a;
        }

        private Expr Unary()
        {
            if (Accept("-")) { var e = Unary(); return new Fn(s => Values.Arith("-", 0L, e.Eval(s))); }
            return Postfix(Primary());
        }

        private Expr Postfix(Expr e)
        {
            while (true)
            {
                if (Accept("."))
                {
                    var name = Peek ?? throw new JinjaException("missing attribute name");
                    _i++;
                    var target = e;
                    if (Accept("("))
                    {
                        var args = Args();
                        e = new Fn(s => Values.Method(target.Eval(s), name, args.Select(a => a.Eval(s)).ToList()));
                    }
                    else e = new Fn(s => Values.Index(target.Eval(s), name));
                }
                else if (Accept("["))
                {
                    var target = e;
                    Expr? start = Peek == ":" ? null : Ternary();
                    if (Accept(":"))
                    {
                        Expr? stop = Peek == "]" ? null : Ternary();
                        Expect("]");
                        e = new Fn(s => Values.Slice(target.Eval(s), start?.Eval(s), stop?.Eval(s)));
                    }
                    else
                    {
                        Expect("]");
                        var key = start!;
                        e = new Fn(s => Values.Index(target.Eval(s), key.Eval(s)));
                    }
                }
                else if (Accept("|"))
                {
                    var filter = Peek ?? throw new JinjaException("missing filter name");
                    _i++;
                    var args = Accept("(") ? Args() : [];
                    var target = e;
                    e = new Fn(s => Values.Filter(filter, target.Eval(s), args.Select(a => a.Eval(s)).ToList()));
                }
                else return e;
            }
        }

        private List<Expr> Args()
        {
            var args = new List<Expr>();
            if (Accept(")")) return args;
            do
            {
                // Keyword arguments (e.g. tojson(indent=2)) are accepted and ignored.
                if (_i + 1 < _t.Count && _t[_i + 1] == "=" && IsName(_t[_i])) { _i += 2; Ternary(); continue; }
                args.Add(Ternary());
            } while (Accept(","));
            Expect(")");
            return args;
        }

        private Expr Primary()
        {
            var t = Peek ?? throw new JinjaException("unexpected end of expression");
            _i++;
            if (t == "(") { var e = Ternary(); Expect(")"); return e; }
            if (t == "[")
            {
                var items = new List<Expr>();
                if (!Accept("]")) { do items.Add(Ternary()); while (Accept(",")); Expect("]"); }
                return new ListLit(items);
            }
            if (t[0] is '"' or '\'') return new Lit(t[1..]);
            if (char.IsDigit(t[0]))
                return t.Contains('.') ? new Lit(double.Parse(t, CultureInfo.InvariantCulture)) : new Lit(long.Parse(t, CultureInfo.InvariantCulture));
            switch (t)
            {
                case "true" or "True": return new Lit(true);
                case "false" or "False": return new Lit(false);
                case "none" or "None": return new Lit(null);
            }
            if (!IsName(t)) throw new JinjaException($"unexpected '{t}'");
            if (t == "raise_exception" && Accept("("))
            {
                var args = Args();
                return new Fn(s => throw new JinjaException("template raised: " + (args.Count > 0 ? Values.Str(args[0].Eval(s)) : "")));
            }
            return new Name(t);
        }

        private static bool IsName(string t) => t.Length > 0 && (char.IsLetter(t[0]) || t[0] == '_');

        private static List<string> Tokenize(string s)
        {
            var list = new List<string>();
            var i = 0;
            while (i < s.Length)
            {
                var c = s[i];
                if (char.IsWhiteSpace(c)) { i++; continue; }
                if (c is '"' or '\'')
                {
                    var sb = new StringBuilder().Append(c); // marker: first char says "string"
                    i++;
                    while (i < s.Length && s[i] != c)
                    {
                        if (s[i] == '\\' && i + 1 < s.Length)
                        {
                            i++;
                            sb.Append(s[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => s[i] });
                        }
                        else sb.Append(s[i]);
                        i++;
                    }
                    if (i >= s.Length) throw new JinjaException("unterminated string");
                    i++;
                    list.Add(sb.ToString());
                    continue;
                }
                if (char.IsDigit(c))
                {
                    var st = i;
                    while (i < s.Length && (char.IsDigit(s[i]) || (s[i] == '.' && i + 1 < s.Length && char.IsDigit(s[i + 1])))) i++;
                    list.Add(s[st..i]);
                    continue;
                }
                if (char.IsLetter(c) || c == '_')
                {
                    var st = i;
                    while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
                    list.Add(s[st..i]);
                    continue;
                }
                var two = i + 1 < s.Length ? s.Substring(i, 2) : "";
                if (two is "==" or "!=" or "<=" or ">=" or "//") { list.Add(two); i += 2; continue; }
                if ("+-*/%~<>()[]{}.,:|=".Contains(c)) { list.Add(c.ToString()); i++; continue; }
                throw new JinjaException($"unexpected character '{c}'");
            }
            return list;
        }
    }

    // ---------------- values ----------------

    private sealed class Undefined
    {
        public static readonly Undefined Value = new();
        public override string ToString() => "";
    }

    private static class Values
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

        public static string Str(object? v) => v switch
        {
            null => "None",
            Undefined => "",
            bool b => b ? "True" : "False",
            double d => d.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            string s => s,
            _ => Json(v),
        };

        public static string Json(object? v) => JsonSerializer.Serialize(v is Undefined ? null : v);

        public static IEnumerable<object?> Iterate(object? v) => v switch
        {
            null or Undefined => [],
            string s => s.Select(c => (object?)c.ToString()),
            IDictionary<string, object?> d => d.Keys,
            IEnumerable<object?> e => e,
            _ => throw new JinjaException("value is not iterable"),
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
                case null or Undefined:
                    return Undefined.Value;
                default:
                    return Undefined.Value;
            }
        }

        public static object? Slice(object? target, object? start, object? stop)
        {
            int Norm(object? x, int len, int dflt) => x is long l ? (int)Math.Clamp(l < 0 ? l + len : l, 0, len) : dflt;
            switch (target)
            {
                case IList<object?> list:
                    { var a = Norm(start, list.Count, 0); var b = Norm(stop, list.Count, list.Count); return b <= a ? new List<object?>() : list.Skip(a).Take(b - a).ToList(); }
                case string s:
                    { var a = Norm(start, s.Length, 0); var b = Norm(stop, s.Length, s.Length); return b <= a ? "" : s[a..b]; }
                default: throw new JinjaException("value cannot be sliced");
            }
        }

        public static bool Compare(string op, object? a, object? b)
        {
            if (op is "==" or "!=")
            {
                var eq = (a, b) switch
                {
                    (long x, double y) => x == y,
                    (double x, long y) => x == y,
                    (Undefined, null) or (null, Undefined) => false,
                    _ => Equals(a, b),
                };
                return op == "==" ? eq : !eq;
            }
            int c = (a, b) switch
            {
                (string x, string y) => string.CompareOrdinal(x, y),
                _ when IsNum(a) && IsNum(b) => Num(a).CompareTo(Num(b)),
                _ => throw new JinjaException("values cannot be ordered"),
            };
            return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
        }

        public static bool Contains(object? container, object? item) => container switch
        {
            string s when item is string x => s.Contains(x, StringComparison.Ordinal),
            IDictionary<string, object?> d when item is string k => d.ContainsKey(k),
            IEnumerable<object?> e => e.Any(x => Compare("==", x, item)),
            _ => false,
        };

        public static bool Test(string test, object? v) => test switch
        {
            "defined" => v is not Undefined,
            "undefined" => v is Undefined,
            "none" => v is null,
            "string" => v is string,
            "number" => IsNum(v),
            "mapping" => v is IDictionary<string, object?>,
            "iterable" or "sequence" => v is string or IEnumerable<object?>,
            "true" => v is true,
            "false" => v is false,
            _ => throw new JinjaException($"unsupported test '{test}'"),
        };

        private static bool IsNum(object? v) => v is long or double;
        private static double Num(object? v) => v switch { long l => l, double d => d, _ => throw new JinjaException("not a number") };

        public static object? Arith(string op, object? a, object? b)
        {
            if (op == "~") return Str(a) + Str(b);
            if (op == "+" && (a is string || b is string)) return a is string && b is string ? (string)a + (string)b : throw new JinjaException("cannot add a string and a non-string");
            if (op == "+" && a is IList<object?> la && b is IList<object?> lb) return la.Concat(lb).ToList();
            if (op == "%" && a is string fmt) return fmt.Replace("%s", Str(b), StringComparison.Ordinal);
            if (a is long x && b is long y)
                return op switch
                {
                    "+" => x + y, "-" => x - y, "*" => x * y,
                    "%" => y == 0 ? throw new JinjaException("modulo by zero") : x % y,
                    "//" => y == 0 ? throw new JinjaException("division by zero") : x / y,
                    _ => y == 0 ? throw new JinjaException("division by zero") : (double)x / y,
                };
            var p = Num(a); var q = Num(b);
            return op switch { "+" => p + q, "-" => p - q, "*" => p * q, "%" => p % q, "//" => Math.Floor(p / q), _ => p / q };
        }

        public static object? Filter(string name, object? v, List<object?> args) => name switch
        {
            "trim" => Str(v).Trim(),
            "upper" => Str(v).ToUpperInvariant(),
            "lower" => Str(v).ToLowerInvariant(),
            "capitalize" => Str(v) is { Length: > 0 } s ? char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant() : "",
            "length" or "count" => v switch { string s => (long)s.Length, System.Collections.ICollection c => (long)c.Count, _ => 0L },
            "string" => Str(v),
            "tojson" => Json(v),
            "first" => Iterate(v).FirstOrDefault(),
            "last" => Iterate(v).LastOrDefault(),
            "default" or "d" => v is Undefined or null ? (args.Count > 0 ? args[0] : "") : v,
            "join" => string.Join(args.Count > 0 ? Str(args[0]) : "", Iterate(v).Select(Str)),
            "list" => Iterate(v).ToList(),
            "int" => v switch { long l => l, double d => (long)d, string s when long.TryParse(s, out var l) => l, _ => 0L },
            "reverse" => v is string rs ? new string(rs.Reverse().ToArray()) : Iterate(v).Reverse().ToList(),
            _ => throw new JinjaException($"unsupported filter '{name}'"),
        };

        public static object? Method(object? target, string name, List<object?> args)
        {
            if (target is string s)
                return name switch
                {
                    "strip" => args.Count > 0 ? s.Trim(Str(args[0]).ToCharArray()) : s.Trim(),
                    "lstrip" => args.Count > 0 ? s.TrimStart(Str(args[0]).ToCharArray()) : s.TrimStart(),
                    "rstrip" => args.Count > 0 ? s.TrimEnd(Str(args[0]).ToCharArray()) : s.TrimEnd(),
                    "upper" => s.ToUpperInvariant(),
                    "lower" => s.ToLowerInvariant(),
                    "startswith" => s.StartsWith(Str(args.FirstOrDefault()), StringComparison.Ordinal),
                    "endswith" => s.EndsWith(Str(args.FirstOrDefault()), StringComparison.Ordinal),
                    "replace" when args.Count >= 2 && Str(args[0]).Length > 0 => s.Replace(Str(args[0]), Str(args[1]), StringComparison.Ordinal),
                    "split" => (args.Count > 0 ? s.Split(Str(args[0])) : s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Select(x => (object?)x).ToList(),
                    _ => throw new JinjaException($"unsupported string method '{name}'"),
                };
            if (target is IDictionary<string, object?> d)
                return name switch
                {
                    "get" => args.Count > 0 && args[0] is string k && d.TryGetValue(k, out var v) ? v : (args.Count > 1 ? args[1] : null),
                    "items" => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
                    "keys" => d.Keys.Select(k => (object?)k).ToList(),
                    "values" => d.Values.ToList(),
                    _ => throw new JinjaException($"unsupported mapping method '{name}'"),
                };
            throw new JinjaException($"unsupported method '{name}'");
        }
    }
}
