using System.Net.Http.Headers;
using System.Text.Json;
using TokenFlow.Bench.Workload;

namespace TokenFlow.Bench.Client;

/// <summary>
/// Checks before the run: the server answers (else a one-line <see cref="BenchException"/>), which model
/// to use (first id of GET /v1/models), and how its tokenizer counts our prompts (two one-token probes).
/// </summary>
public sealed class ServerProbe(HttpClient http, BenchClientOptions options)
{
    private string Where => options.BaseUrl.ToString().TrimEnd('/');

    /// <summary>The model to bench: --model, else the first id the server lists.</summary>
    public async Task<string> ResolveModelAsync(CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.BaseUrl, "v1/models"));
            if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            response = await http.SendAsync(request, timeout.Token);
        }
        catch (HttpRequestException e) { throw new BenchException($"cannot reach {Where}: {OneLine(e)}"); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { throw new BenchException($"cannot reach {Where}: no answer to GET /v1/models within 30 s"); }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                if (options.Model is not null) return options.Model; // some servers lack /v1/models; the model was given
                var why = await RequestSender.ErrorText(response, ct);
                if ((int)response.StatusCode is 401 or 403) throw new BenchException($"{Where}: GET /v1/models: {why} (check --api-key)");
                throw new BenchException($"{Where}: GET /v1/models: {why}; is this an OpenAI-compatible server? Pass --model to skip model discovery");
            }
            if (options.Model is not null) return options.Model;
            try
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                if (doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
                    foreach (var m in data.EnumerateArray())
                        if (m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } s)
                            return s;
            }
            catch (JsonException) { }
            throw new BenchException($"{Where}: GET /v1/models listed no model; pass --model");
        }
    }

    /// <summary>
    /// Sends two one-token probes (16 and 80 words) and fits the server's token count. A 4xx (wrong model,
    /// key, endpoint) is fatal: every request would fail the same way. Otherwise falls back to 1 token/word.
    /// </summary>
    public async Task<(PromptCalibration Calibration, string? Warning)> CalibrateAsync(string model, CancellationToken ct)
    {
        const int small = 16, large = 80;
        var rng = new Random(12345);
        var (t1, w1) = await ProbeAsync(model, PromptFactory.RandomWords(small, rng), ct);
        if (t1 is null) return (PromptCalibration.Default, w1);
        var (t2, w2) = await ProbeAsync(model, PromptFactory.RandomWords(large, rng), ct);
        if (t2 is null) return (PromptCalibration.Default, w2);
        return (PromptCalibration.FromProbes(small, t1.Value, large, t2.Value), null);
    }

    private async Task<(int? PromptTokens, string? Warning)> ProbeAsync(string model, string prompt, CancellationToken ct)
    {
        var path = options.Endpoint.Path();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.BaseUrl, path)) { Content = new ByteArrayContent(RequestBodyWriter.Probe(options, model, prompt)) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (options.ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(120));
            using var response = await http.SendAsync(request, timeout.Token);
            if ((int)response.StatusCode is >= 400 and < 500)
                throw new BenchException($"{Where}: POST /{path} with model '{model}': {await RequestSender.ErrorText(response, ct)}");
            if (!response.IsSuccessStatusCode)
                return (null, $"probe request failed ({await RequestSender.ErrorText(response, ct)}); assuming 1 token per prompt word");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (doc.RootElement.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object
                && u.TryGetProperty("prompt_tokens", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var n) && n > 0)
                return (n, null);
            return (null, "the server reports no usage.prompt_tokens; assuming 1 token per prompt word");
        }
        catch (HttpRequestException e) { throw new BenchException($"cannot reach {Where}: {OneLine(e)}"); }
        catch (JsonException) { return (null, "the probe's response is not JSON; assuming 1 token per prompt word"); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return (null, "the probe request timed out; assuming 1 token per prompt word"); }
    }

    private static string OneLine(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        var msg = inner == e || e.Message.Contains(inner.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message.TrimEnd('.')} ({inner.Message})";
        return msg.Split('\n')[0].Trim();
    }
}
