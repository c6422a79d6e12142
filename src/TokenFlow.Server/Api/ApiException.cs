namespace TokenFlow.Server.Api;

/// <summary>An error answered to the client with OpenAI's error shape and the given status.</summary>
public sealed class ApiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    /// <summary>Seconds for a Retry-After header (429, 503).</summary>
    public int? RetryAfter { get; init; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, "invalid_request_error", param, code);
}
