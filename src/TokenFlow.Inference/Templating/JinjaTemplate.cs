using System.Text;

namespace TokenFlow.Inference.Templating;

/// <summary>
/// A Jinja template as chat templates use it, rendered the way Hugging Face's
/// <c>apply_chat_template</c> sets Jinja up (<c>trim_blocks</c>, <c>lstrip_blocks</c>, loop controls,
/// <c>raise_exception</c>, <c>tojson</c>, <c>strftime_now</c>). Parsing rejects anything outside the
/// supported subset with <see cref="JinjaException"/>, so a bad template is found at start-up.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Node> _body;
    private JinjaTemplate(List<Node> body) => _body = body;

    public static JinjaTemplate Parse(string source) => new(new JinjaParser(JinjaLexer.Lex(source)).ParseTemplate());

    /// <summary>Renders with <paramref name="variables"/> (strings, bools, numbers, lists, string-keyed dictionaries) as globals.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var root = new Frame(null);
        Builtins.AddGlobals(root, now ?? (() => DateTime.Now));
        foreach (var (k, v) in variables) root.Set(k, Normalize(v));
        var sb = new StringBuilder();
        Node.RenderAll(_body, sb, root);
        return sb.ToString();
    }

    /// <summary>Converts caller values to the engine's types (int → long, any list → List, any string-keyed map → Dictionary).</summary>
    private static object? Normalize(object? v) => v switch
    {
        null or string or bool or long or double => v,
        int i => (long)i,
        float f => (double)f,
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => Normalize(kv.Value), StringComparer.Ordinal),
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => Normalize(kv.Value), StringComparer.Ordinal),
        System.Collections.IEnumerable e => e.Cast<object?>().Select(Normalize).ToList(),
        _ => v,
    };
}
