using System.Text.Json;

namespace TokenFlow.Routing.Load;

/// <summary>The wire format of <see cref="LoadReport"/>: snake_case JSON, as the rest of the API.</summary>
public static class LoadReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Serialize(LoadReport report) => JsonSerializer.Serialize(report, Options);

    /// <summary>Parses a report; null when the body is not one.</summary>
    public static LoadReport? TryParse(ReadOnlySpan<byte> utf8)
    {
        try { return JsonSerializer.Deserialize<LoadReport>(utf8, Options); }
        catch (JsonException) { return null; }
    }
}
