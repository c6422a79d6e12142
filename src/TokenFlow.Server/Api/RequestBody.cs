using System.Buffers;
using System.Text.Json;

namespace TokenFlow.Server.Api;

/// <summary>Reads a JSON body with a hard size cap: 413 above it, 400 for anything that is not JSON.</summary>
public static class RequestBody
{
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength is { } declared && declared > maxBytes) throw TooLarge(maxBytes);
        var buffer = new ArrayBufferWriter<byte>(http.Request.ContentLength is { } n and > 0 ? (int)n : 4096);
        var body = http.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            int read;
            try { read = await body.ReadAsync(memory, http.RequestAborted); }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { throw TooLarge(maxBytes); }
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes) throw TooLarge(maxBytes);
        }
        if (buffer.WrittenCount == 0) throw ApiException.BadRequest("the request body is empty; expected a JSON object");
        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static ApiException TooLarge(long max) =>
        new(413, $"The request body is larger than the limit of {max} bytes.", "invalid_request_error", null, "request_too_large");
}
