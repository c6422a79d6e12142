using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TokenFlow.Server.Api;

/// <summary>
/// Strict, typed reads of request fields. Every mismatch becomes a 400 naming the field, so no
/// input reaches the engine unchecked (and none ends in a 500).
/// </summary>
internal static class JsonFields
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static long? Int(JsonElement obj, string name, long min, long max)
    {
        if (Get(obj, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number) throw ApiException.BadRequest($"'{name}' must be an integer", name);
        if (!v.TryGetInt64(out var x))
        {
            // Accept integral floats such as 16.0, as Python servers do.
            // (double)long.MaxValue rounds up to 2^63, so compare against the next power below exclusively.
            if (v.TryGetDouble(out var d) && d == Math.Floor(d) && d >= min && d < (double)max + 1 && (max < long.MaxValue || d < 9.2233720368547758e18)) x = (long)d;
            else throw ApiException.BadRequest($"'{name}' must be an integer between {min} and {max}", name);
        }
        if (x < min || x > max) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}, got {x}", name);
        return x;
    }

    public static double? Double(JsonElement obj, string name, double min, double max, bool minExclusive = false)
    {
        if (Get(obj, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || !double.IsFinite(x))
            throw ApiException.BadRequest($"'{name}' must be a number", name);
        if (x < min || x > max || (minExclusive && x == min))
            throw ApiException.BadRequest($"'{name}' must be {(minExclusive ? ">" : ">=")} {min.ToString(CultureInfo.InvariantCulture)} and <= {max.ToString(CultureInfo.InvariantCulture)}, got {x.ToString(CultureInfo.InvariantCulture)}", name);
        return x;
    }

    public static bool? Bool(JsonElement obj, string name)
    {
        if (Get(obj, name) is not { } v) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.BadRequest($"'{name}' must be a boolean", name),
        };
    }

    public static string? String(JsonElement obj, string name)
    {
        if (Get(obj, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"'{name}' must be a string", name);
        return Text(v, name);
    }

    /// <summary>Reads a string value, rejecting invalid UTF-8 and lone surrogates.</summary>
    public static string Text(JsonElement v, string param)
    {
        string s;
        try { s = v.GetString() ?? ""; }
        catch (InvalidOperationException) { throw ApiException.BadRequest($"'{param}' is not valid UTF-8", param); }
        try { StrictUtf8.GetByteCount(s); }
        catch (ArgumentException) { throw ApiException.BadRequest($"'{param}' contains an invalid Unicode sequence (lone surrogate)", param); }
        return s;
    }
}
