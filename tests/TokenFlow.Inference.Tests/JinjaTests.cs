using TokenFlow.Inference.Templating;

namespace TokenFlow.Inference.Tests;

/// <summary>The Jinja features chat templates lean on, each checked against what Python's Jinja2 prints.</summary>
public sealed class JinjaTests
{
    private static string R(string t, Dictionary<string, object?>? vars = null) => JinjaTemplate.Parse(t).Render(vars ?? []);

    [Fact]
    public void NamespaceCarriesValuesOutOfLoopsButPlainSetDoesNot()
    {
        Assert.Equal("3|0", R("{% set ns = namespace(n=0) %}{% set m = 0 %}{% for i in range(3) %}{% set ns.n = ns.n + 1 %}{% set m = m + 1 %}{% endfor %}{{ ns.n }}|{{ m }}"));
    }

    [Fact]
    public void MacrosTakeArgumentsAndDefaults()
    {
        Assert.Equal("<a:1><b:x>", R("{% macro tag(name, v='x') %}<{{ name }}:{{ v }}>{% endmacro %}{{ tag('a', 1) }}{{ tag('b') }}"));
        Assert.Equal("[k=2]", R("{% macro f(a, k=1) %}[k={{ k }}]{% endmacro %}{{ f(0, k=2) }}"));
    }

    [Fact]
    public void LoopControlsAndFilters()
    {
        Assert.Equal("0,2,", R("{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i > 2 %}{% break %}{% endif %}{{ i }},{% endfor %}"));
        Assert.Equal("13", R("{% for i in [1, 2, 3] if i != 2 %}{{ i }}{% endfor %}"));
        Assert.Equal("cba|cb", R("{{ 'abc'[::-1] }}|{{ 'abc'[-1:0:-1] }}"));
        Assert.Equal("b", R("{{ (messages | selectattr('role', 'equalto', 'user') | list)[0].content }}",
            new() { ["messages"] = new List<object?> { new Dictionary<string, object?> { ["role"] = "system", ["content"] = "a" }, new Dictionary<string, object?> { ["role"] = "user", ["content"] = "b" } } }));
        Assert.Equal("{\"a\": [1, \"x\"]}", R("{{ {'a': [1, 'x']} | tojson }}"));
        Assert.Equal("['a', 'b']|x, y", R("{{ 'a b'.split() }}|{{ ['x', 'y'] | join(', ') }}"));
        Assert.Equal("True False None", R("{{ true }} {{ 1 > 2 }} {{ none }}"));
    }

    [Fact]
    public void StringMethodsFollowPython()
    {
        Assert.Equal("think|rest", R("{{ s.split('</think>')[0].strip().lstrip('<') }}|{{ s.split('</think>')[-1].lstrip('\\n') }}", new() { ["s"] = "<think\n</think>\nrest" }));
        Assert.Equal("True False", R("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'y')) }}"));
    }

    [Fact]
    public void RaiseExceptionIsARenderError()
    {
        var t = JinjaTemplate.Parse("{% if x %}{{ raise_exception('no x please') }}{% endif %}ok");
        Assert.Equal("ok", t.Render(new Dictionary<string, object?>()));
        Assert.Contains("no x please", Assert.Throws<JinjaRaisedException>(() => t.Render(new Dictionary<string, object?> { ["x"] = true })).Message);
    }

    [Theory]
    [InlineData("{% if x %}no end")]
    [InlineData("{% unknowntag %}")]
    [InlineData("{{ x | nosuchfilter }}")]
    [InlineData("{{ 'unterminated }}")]
    public void UnsupportedOrBrokenTemplatesFailClearly(string t)
    {
        // Filters are resolved when called, so render too: either step must fail with a JinjaException.
        Assert.ThrowsAny<JinjaException>(() => JinjaTemplate.Parse(t).Render(new Dictionary<string, object?> { ["x"] = "v" }));
    }
}
