using System.Globalization;
using System.Text.Json;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// What the router reads from a request body to route it: the reader's rate (body
/// <c>consumption_rate</c>, else header <c>X-Consumption-Rate</c>, else the default) and a prompt
/// length estimate (≈ 4 characters a token). The body itself is forwarded unchanged; a body the
/// router cannot read is still forwarded, and the replica answers it.
/// </summary>
public static class RequestHints
{
    public static (double Rate, int PromptTokens) Read(ReadOnlySpan<byte> body, string? rateHeader, double defaultRate)
    {
        var rate = defaultRate;
        if (double.TryParse(rateHeader, NumberStyles.Float, CultureInfo.InvariantCulture, out var h) && double.IsFinite(h) && h > 0) rate = h;
        var chars = 0;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return (rate, 1);
            if (doc.RootElement.TryGetProperty("consumption_rate", out var r) && r.ValueKind == JsonValueKind.Number && r.TryGetDouble(out var b) && double.IsFinite(b) && b > 0) rate = b;
            if (doc.RootElement.TryGetProperty("prompt", out var p)) chars = Chars(p, 0);
            if (doc.RootElement.TryGetProperty("messages", out var m)) chars += Chars(m, 0);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException) { } // bad JSON or UTF-8: the replica will say so
        return (rate, Math.Max(1, chars / 4));
    }

    private static int Chars(JsonElement e, int depth) => depth > 8 ? 0 : e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()?.Length ?? 0,
        JsonValueKind.Number => 4, // a token id
        JsonValueKind.Array => e.EnumerateArray().Sum(x => Chars(x, depth + 1)),
        JsonValueKind.Object => e.EnumerateObject().Sum(x => x.NameEquals("content") || x.NameEquals("text") ? Chars(x.Value, depth + 1) : 0),
        _ => 0,
    };
}
