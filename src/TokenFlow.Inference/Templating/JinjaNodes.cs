using System.Text;

namespace TokenFlow.Inference.Templating;

/// <summary>A variable scope: the template's globals at the root, a child for each loop body and macro call.</summary>
internal sealed class Frame(Frame? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    public Frame? Parent { get; } = parent;
    public Frame Root => Parent?.Root ?? this;

    /// <summary>Render state shared by all frames of one rendering (the loop-step guard).</summary>
    public RenderState State { get; init; } = parent?.State ?? new RenderState();

    public object? Get(string name)
    {
        for (var f = this; f is not null; f = f.Parent)
            if (f._vars.TryGetValue(name, out var v)) return v;
        return Undefined.Value;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

internal sealed class RenderState
{
    public int Steps;
    public void Step() { if (++Steps > 1_000_000) throw new JinjaException("template runs too long"); }
}

/// <summary>How a statement list ended: normally, or by {% break %} / {% continue %}.</summary>
internal enum Flow { Normal, Break, Continue }

internal abstract class Node
{
    public abstract Flow Render(StringBuilder sb, Frame f);

    public static Flow RenderAll(List<Node> body, StringBuilder sb, Frame f)
    {
        foreach (var n in body)
        {
            var flow = n.Render(sb, f);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }
}

internal sealed class TextNode(string text) : Node
{
    public override Flow Render(StringBuilder sb, Frame f) { sb.Append(text); return Flow.Normal; }
}

internal sealed class OutputNode(Expr e) : Node
{
    public override Flow Render(StringBuilder sb, Frame f) { sb.Append(Values.Str(e.Eval(f))); return Flow.Normal; }
}

internal sealed class LoopControlNode(Flow flow) : Node
{
    public override Flow Render(StringBuilder sb, Frame f) => flow;
}

/// <summary><c>{% set x = e %}</c>, <c>{% set a, b = e %}</c>, <c>{% set ns.attr = e %}</c> or the block form <c>{% set x %}…{% endset %}</c>.</summary>
internal sealed class SetNode(string[] targets, string? attribute, Expr? value, List<Node>? block) : Node
{
    public override Flow Render(StringBuilder sb, Frame f)
    {
        object? v;
        if (block is not null) { var inner = new StringBuilder(); Node.RenderAll(block, inner, f); v = inner.ToString(); }
        else v = value!.Eval(f);
        if (attribute is not null)
        {
            if (f.Get(targets[0]) is not Namespace ns) throw new JinjaException($"cannot set attribute '{attribute}' of '{targets[0]}': not a namespace");
            ns[attribute] = v;
        }
        else if (targets.Length == 1) f.Set(targets[0], v);
        else
        {
            var parts = Values.Iterate(v).ToList();
            if (parts.Count != targets.Length) throw new JinjaException($"cannot unpack {parts.Count} values into {targets.Length} names");
            for (var i = 0; i < targets.Length; i++) f.Set(targets[i], parts[i]);
        }
        return Flow.Normal;
    }
}

internal sealed class IfNode(List<(Expr Cond, List<Node> Body)> branches, List<Node>? otherwise) : Node
{
    public override Flow Render(StringBuilder sb, Frame f)
    {
        foreach (var (c, body) in branches)
            if (Values.Truthy(c.Eval(f))) return Node.RenderAll(body, sb, f);
        return otherwise is null ? Flow.Normal : Node.RenderAll(otherwise, sb, f);
    }
}

/// <summary><c>{% for a[, b] in seq [if cond] %}…{% else %}…{% endfor %}</c> with <c>loop.*</c>; the body has its own scope.</summary>
internal sealed class ForNode(string[] names, Expr source, Expr? filter, List<Node> body, List<Node>? otherwise) : Node
{
    public override Flow Render(StringBuilder sb, Frame f)
    {
        var src = source.Eval(f);
        var all = src is IDictionary<string, object?> d ? d.Keys.Select(k => (object?)k).ToList() : Values.Iterate(src).ToList();
        var items = filter is null ? all : all.Where(x => Values.Truthy(filter.Eval(Bind(new Frame(f), x)))).ToList();
        if (items.Count == 0) return otherwise is null ? Flow.Normal : Node.RenderAll(otherwise, sb, f);
        for (var i = 0; i < items.Count; i++)
        {
            f.State.Step();
            var inner = Bind(new Frame(f), items[i]);
            inner.Set("loop", new Dictionary<string, object?>
            {
                ["index"] = (long)i + 1, ["index0"] = (long)i, ["first"] = i == 0, ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                ["previtem"] = i > 0 ? items[i - 1] : Undefined.Value, ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Value,
            });
            if (Node.RenderAll(body, sb, inner) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private Frame Bind(Frame frame, object? item)
    {
        if (names.Length == 1) { frame.Set(names[0], item); return frame; }
        var parts = Values.Iterate(item).ToList();
        for (var k = 0; k < names.Length; k++) frame.Set(names[k], k < parts.Count ? parts[k] : Undefined.Value);
        return frame;
    }
}

/// <summary><c>{% macro name(a, b='x') %}…{% endmacro %}</c>: defines a callable that renders its body to a string.</summary>
internal sealed class MacroNode(string name, List<(string Name, Expr? Default)> parameters, List<Node> body) : Node
{
    public override Flow Render(StringBuilder sb, Frame f)
    {
        f.Set(name, new Macro(name, parameters, body, f));
        return Flow.Normal;
    }

    private sealed class Macro(string name, List<(string Name, Expr? Default)> parameters, List<Node> body, Frame defined) : ICallable
    {
        public object? Call(List<object?> args, Dictionary<string, object?> kwargs)
        {
            if (args.Count > parameters.Count) throw new JinjaException($"macro '{name}' takes {parameters.Count} arguments, {args.Count} given");
            var frame = new Frame(defined);
            for (var i = 0; i < parameters.Count; i++)
            {
                var (p, dflt) = parameters[i];
                frame.Set(p, i < args.Count ? args[i] : kwargs.TryGetValue(p, out var kv) ? kv : dflt is null ? Undefined.Value : dflt.Eval(defined));
            }
            var sb = new StringBuilder();
            Node.RenderAll(body, sb, frame);
            return sb.ToString();
        }
    }
}

/// <summary>An expression statement (<c>{% do … %}</c>) whose value is discarded.</summary>
internal sealed class DoNode(Expr e) : Node
{
    public override Flow Render(StringBuilder sb, Frame f) { e.Eval(f); return Flow.Normal; }
}
