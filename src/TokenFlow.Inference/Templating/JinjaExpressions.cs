using System.Globalization;
using System.Text;

namespace TokenFlow.Inference.Templating;

internal abstract class Expr { public abstract object? Eval(Frame f); }
internal sealed class Lit(object? v) : Expr { public override object? Eval(Frame f) => v; }
internal sealed class NameExpr(string n) : Expr { public string Name => n; public override object? Eval(Frame f) => f.Get(n); }
internal sealed class Fn(Func<Frame, object?> fn) : Expr { public override object? Eval(Frame f) => fn(f); }

/// <summary>
/// Jinja expressions by precedence: inline if, or, and, not, comparisons / in / is, ~, + -, * / // %,
/// **, unary minus, then postfix attribute, subscript, slice, call and filter.
/// </summary>
internal sealed class ExprParser
{
    private readonly List<string> _t;
    private int _i;
    private ExprParser(List<string> tokens) => _t = tokens;

    public static Expr Parse(string text)
    {
        var p = new ExprParser(Tokenize(text));
        var e = p.Ternary();
        if (p._i != p._t.Count) throw new JinjaException($"unexpected '{p._t[p._i]}' in expression '{text}'");
        return e;
    }

    /// <summary>Parses a leading expression and returns the rest of the tokens' text position (for "for x in seq if cond").</summary>
    public static (Expr Source, Expr? Filter) ParseWithFilter(string text)
    {
        var p = new ExprParser(Tokenize(text));
        var e = p.Or();
        Expr? cond = null;
        if (p.Accept("if")) cond = p.Ternary();
        if (p._i != p._t.Count) throw new JinjaException($"unexpected '{p._t[p._i]}' in '{text}'");
        return (e, cond);
    }

    /// <summary>Macro parameters: names with optional defaults.</summary>
    public static List<(string, Expr?)> ParseParameters(string text)
    {
        var p = new ExprParser(Tokenize(text));
        var list = new List<(string, Expr?)>();
        if (p._t.Count == 0) return list;
        do
        {
            var name = p.Next();
            if (!IsName(name)) throw new JinjaException($"bad macro parameter '{name}'");
            list.Add((name, p.Accept("=") ? p.Ternary() : null));
        } while (p.Accept(","));
        if (p._i != p._t.Count) throw new JinjaException($"unexpected '{p._t[p._i]}' in macro parameters");
        return list;
    }

    private string? Peek => _i < _t.Count ? _t[_i] : null;
    private string Next() => _i < _t.Count ? _t[_i++] : throw new JinjaException("unexpected end of expression");
    private bool Accept(string s) { if (Peek == s) { _i++; return true; } return false; }
    private void Expect(string s) { if (!Accept(s)) throw new JinjaException($"expected '{s}' but found '{Peek ?? "end"}'"); }

    private Expr Ternary()
    {
        var a = Or();
        if (!Accept("if")) return a;
        var cond = Or();
        var b = Accept("else") ? Ternary() : new Lit(Undefined.Value);
        return new Fn(f => Values.Truthy(cond.Eval(f)) ? a.Eval(f) : b.Eval(f));
    }

    private Expr Or() { var a = And(); while (Accept("or")) { var l = a; var r = And(); a = new Fn(f => l.Eval(f) is var x && Values.Truthy(x) ? x : r.Eval(f)); } return a; }
    private Expr And() { var a = Not(); while (Accept("and")) { var l = a; var r = Not(); a = new Fn(f => l.Eval(f) is var x && !Values.Truthy(x) ? x : r.Eval(f)); } return a; }
    private Expr Not() { if (Accept("not")) { var e = Not(); return new Fn(f => !Values.Truthy(e.Eval(f))); } return Compare(); }

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
                a = new Fn(f => op switch
                {
                    "==" => Values.Equal(l.Eval(f), r.Eval(f)),
                    "!=" => !Values.Equal(l.Eval(f), r.Eval(f)),
                    "<" => Values.Order(l.Eval(f), r.Eval(f)) < 0,
                    ">" => Values.Order(l.Eval(f), r.Eval(f)) > 0,
                    "<=" => Values.Order(l.Eval(f), r.Eval(f)) <= 0,
                    _ => Values.Order(l.Eval(f), r.Eval(f)) >= 0,
                });
            }
            else if (op == "in" || (op == "not" && _i + 1 < _t.Count && _t[_i + 1] == "in"))
            {
                var negate = op == "not";
                _i += negate ? 2 : 1;
                var l = a; var r = Concat();
                a = new Fn(f => Values.Contains(r.Eval(f), l.Eval(f)) != negate);
            }
            else if (op == "is")
            {
                _i++;
                var negate = Accept("not");
                var test = Next();
                var args = new List<Expr>();
                if (Accept("(")) args = Args(out _);
                else if (Peek is { } p && !IsKeyword(p) && (IsName(p) || p[0] is '"' or '\'' || char.IsDigit(p[0]))) args.Add(Primary());
                var l = a;
                a = new Fn(f => Builtins.Test(test, l.Eval(f), args.Select(x => x.Eval(f)).ToList()) != negate);
            }
            else return a;
        }
    }

    private static bool IsKeyword(string t) => t is "and" or "or" or "not" or "in" or "is" or "if" or "else";

    private Expr Concat() { var a = Sum(); while (Accept("~")) { var l = a; var r = Sum(); a = new Fn(f => Values.Str(l.Eval(f)) + Values.Str(r.Eval(f))); } return a; }

    private Expr Sum()
    {
        var a = Product();
        while (Peek is "+" or "-") { var op = Next(); var l = a; var r = Product(); a = new Fn(f => Values.Arith(op, l.Eval(f), r.Eval(f))); }
        return a;
    }

    private Expr Product()
    {
        var a = Power();
        while (Peek is "*" or "/" or "%" or "//") { var op = Next(); var l = a; var r = Power(); a = new Fn(f => Values.Arith(op, l.Eval(f), r.Eval(f))); }
        return a;
    }

    private Expr Power() { var a = Unary(); while (Accept("**")) { var l = a; var r = Unary(); a = new Fn(f => Values.Arith("**", l.Eval(f), r.Eval(f))); } return a; }

    private Expr Unary()
    {
        if (Accept("-")) { var e = Unary(); return new Fn(f => e.Eval(f) is long l ? -l : (object)(-Values.Num(e.Eval(f)))); }
        if (Accept("+")) return Unary();
        return Postfix(Primary());
    }

    private Expr Postfix(Expr e)
    {
        while (true)
        {
            if (Accept("."))
            {
                var name = Next();
                var target = e;
                if (Accept("("))
                {
                    var args = Args(out var kw);
                    e = new Fn(f => Builtins.Method(target.Eval(f), name, args.Select(a => a.Eval(f)).ToList(), EvalKw(kw, f)));
                }
                else e = new Fn(f => Values.Index(target.Eval(f), name));
            }
            else if (Accept("["))
            {
                var target = e;
                Expr? start = Peek is ":" ? null : Ternary();
                if (Accept(":"))
                {
                    Expr? stop = Peek is ":" or "]" ? null : Ternary();
                    Expr? step = Accept(":") && Peek != "]" ? Ternary() : null;
                    Expect("]");
                    e = new Fn(f => Values.Slice(target.Eval(f), start?.Eval(f), stop?.Eval(f), step?.Eval(f)));
                }
                else
                {
                    Expect("]");
                    var key = start!;
                    e = new Fn(f => Values.Index(target.Eval(f), key.Eval(f)));
                }
            }
            else if (Accept("("))
            {
                var target = e;
                var args = Args(out var kw);
                var name = (e as NameExpr)?.Name ?? "expression";
                e = new Fn(f => target.Eval(f) is ICallable c ? c.Call(args.Select(a => a.Eval(f)).ToList(), EvalKw(kw, f))
                    : throw new JinjaException($"'{name}' is not callable"));
            }
            else if (Accept("|"))
            {
                var filter = Next();
                var args = new List<Expr>();
                var kw = new List<(string, Expr)>();
                if (Accept("(")) args = Args(out kw);
                var target = e;
                e = new Fn(f => Builtins.Filter(filter, target.Eval(f), args.Select(a => a.Eval(f)).ToList(), EvalKw(kw, f)));
            }
            else return e;
        }
    }

    private static Dictionary<string, object?> EvalKw(List<(string Name, Expr Value)> kw, Frame f)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (n, v) in kw) d[n] = v.Eval(f);
        return d;
    }

    private List<Expr> Args(out List<(string, Expr)> kwargs)
    {
        var args = new List<Expr>();
        kwargs = [];
        if (Accept(")")) return args;
        do
        {
            if (Peek == ")") break;
            if (_i + 1 < _t.Count && _t[_i + 1] == "=" && IsName(_t[_i])) { var n = Next(); _i++; kwargs.Add((n, Ternary())); continue; }
            args.Add(Ternary());
        } while (Accept(","));
        Expect(")");
        return args;
    }

    private Expr Primary()
    {
        var t = Next();
        if (t == "(")
        {
            if (Accept(")")) return new Lit(new List<object?>());
            var first = Ternary();
            if (!Accept(",")) { Expect(")"); return first; }
            var items = new List<Expr> { first };
            while (Peek != ")") { items.Add(Ternary()); if (!Accept(",")) break; }
            Expect(")");
            return new Fn(f => items.Select(i => i.Eval(f)).ToList());
        }
        if (t == "[")
        {
            var items = new List<Expr>();
            while (Peek != "]") { items.Add(Ternary()); if (!Accept(",")) break; }
            Expect("]");
            return new Fn(f => items.Select(i => i.Eval(f)).ToList());
        }
        if (t == "{")
        {
            var pairs = new List<(Expr, Expr)>();
            while (Peek != "}") { var k = Ternary(); Expect(":"); pairs.Add((k, Ternary())); if (!Accept(",")) break; }
            Expect("}");
            return new Fn(f =>
            {
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in pairs) d[Values.Str(k.Eval(f))] = v.Eval(f);
                return d;
            });
        }
        if (t[0] is '"' or '\'')
        {
            var s = t[1..];
            while (Peek is { } nx && nx[0] is '"' or '\'') s += Next()[1..]; // adjacent literals concatenate
            return new Lit(s);
        }
        if (char.IsDigit(t[0]))
            return t.Contains('.') ? new Lit(double.Parse(t, CultureInfo.InvariantCulture)) : new Lit(long.Parse(t, CultureInfo.InvariantCulture));
        switch (t)
        {
            case "true" or "True": return new Lit(true);
            case "false" or "False": return new Lit(false);
            case "none" or "None": return new Lit(null);
        }
        if (!IsName(t)) throw new JinjaException($"unexpected '{t}'");
        return new NameExpr(t);
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
                var sb = new StringBuilder().Append(c); // marker: the first char says "string"
                i++;
                while (i < s.Length && s[i] != c)
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                        sb.Append(s[i] switch { 'n' => "\n", 't' => "\t", 'r' => "\r", '\\' => "\\", '\'' => "'", '"' => "\"", '\n' => "", _ => "\\" + s[i] });
                    }
                    else sb.Append(s[i]);
                    i++;
                }
                if (i >= s.Length) throw new JinjaException("unterminated string literal");
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
            if (two is "==" or "!=" or "<=" or ">=" or "//" or "**") { list.Add(two); i += 2; continue; }
            if ("+-*/%~<>()[]{}.,:|=".Contains(c)) { list.Add(c.ToString()); i++; continue; }
            throw new JinjaException($"unexpected character '{c}'");
        }
        return list;
    }
}
