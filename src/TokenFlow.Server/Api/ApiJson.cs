using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenFlow.Server.Api;

/// <summary>The one JSON setting of the API: snake_case names, as OpenAI's wire format.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
