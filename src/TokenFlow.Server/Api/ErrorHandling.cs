using Microsoft.AspNetCore.Connections;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace TokenFlow.Server.Api;

/// <summary>Middleware: OpenAI-shaped errors for every failure, and the API key check.</summary>
public static class ErrorHandling
{
    public static async Task WriteErrorAsync(HttpContext http, ApiException e)
    {
        if (http.Response.HasStarted) return;
        http.Response.Clear();
        http.Response.StatusCode = e.Status;
        if (e.RetryAfter is { } s) http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (e.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
        http.Response.ContentType = "application/json";
        var body = new ErrorResponse(new ErrorBody(e.Message, e.Type, e.Param, e.Code));
        try { await JsonSerializer.SerializeAsync(http.Response.Body, body, ApiJson.Options, http.RequestAborted); }
        catch (Exception x) when (x is OperationCanceledException or IOException) { }
    }

    /// <summary>Catches everything below it: API errors, Kestrel's bad-request errors, disconnects, and (never expected) bugs.</summary>
    public static async Task Middleware(HttpContext http, RequestDelegate next, ILogger log)
    {
        try
        {
            await next(http);
            if (!http.Response.HasStarted && http.Response.StatusCode == 405)
                await WriteErrorAsync(http, new ApiException(405, $"Method {http.Request.Method} is not allowed on {http.Request.Path}.", "invalid_request_error", null, "method_not_allowed"));
        }
        catch (ApiException e) { await WriteErrorAsync(http, e); }
        catch (BadHttpRequestException e)
        {
            await WriteErrorAsync(http, new ApiException(e.StatusCode, e.StatusCode == 413 ? "The request body is too large." : $"Bad request: {e.Message}", "invalid_request_error", null, e.StatusCode == 413 ? "request_too_large" : null));
        }
        catch (Exception e) when ((e is OperationCanceledException or IOException or ConnectionResetException) && http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the request's finally blocks have aborted its work.
        }
        catch (Exception e)
        {
            log.LogError(e, "unhandled error on {Path}", http.Request.Path);
            await WriteErrorAsync(http, new ApiException(500, "Internal server error.", "server_error"));
        }
    }

    /// <summary>With --api-key, /v1/* and /tokenize, /detokenize need "Authorization: Bearer KEY".</summary>
    public static Func<HttpContext, RequestDelegate, Task> ApiKey(string? key)
    {
        var expected = key is null ? null : Encoding.UTF8.GetBytes(key);
        return async (http, next) =>
        {
            if (expected is not null && NeedsKey(http.Request.Path))
            {
                var header = http.Request.Headers.Authorization.ToString();
                var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : [];
                // A browser cannot put a header on the page or its EventSource: the dashboard also takes ?key=.
                if (given.Length == 0 && IsDashboard(http.Request.Path) && http.Request.Query["key"].ToString() is { Length: > 0 } q) given = Encoding.UTF8.GetBytes(q);
                if (!CryptographicOperations.FixedTimeEquals(given, expected))
                    throw new ApiException(401, header.Length == 0 ? "Missing API key: send 'Authorization: Bearer <key>'." : "Incorrect API key provided.", "authentication_error", null, "invalid_api_key");
            }
            await next(http);
        };
    }

    private static bool NeedsKey(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/tokenize") || path.StartsWithSegments("/detokenize") || IsDashboard(path);

    private static bool IsDashboard(PathString path) => path.Value is "/" or "" || path.StartsWithSegments("/dashboard");
}
