using System.Text.Json;

namespace TokenFlow.Server.Api;

/// <summary>GET /v1/models, GET /health, POST /tokenize and /detokenize (vLLM's shapes).</summary>
public static class InfoEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapGet("/v1/models", () => Results.Json(new ModelList("list", [new ModelCard(state.ModelName, "model", state.Created, "tokenflow", state.ModelName, state.Model.ContextLength)]), ApiJson.Options));
        app.MapGet("/v1/models/{id}", (string id) => id == state.ModelName
            ? Results.Json(new ModelCard(state.ModelName, "model", state.Created, "tokenflow", state.ModelName, state.Model.ContextLength), ApiJson.Options)
            : throw new ApiException(404, $"The model `{id}` does not exist.", "invalid_request_error", "model", "model_not_found"));
        app.MapGet("/health", () => Results.Ok());
        app.MapPost("/tokenize", (HttpContext http) => TokenizeAsync(http, state));
        app.MapPost("/detokenize", (HttpContext http) => DetokenizeAsync(http, state));
    }

    private static async Task TokenizeAsync(HttpContext http, ServerState state)
    {
        using var doc = await RequestBody.ReadJsonAsync(http, state.Options.MaxBodyBytes);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("the request body must be a JSON object");
        var addSpecial = JsonFields.Bool(root, "add_special_tokens") ?? true;
        string text;
        if (JsonFields.Get(root, "messages") is not null)
            text = state.Parser.Chat.Render(RequestParser.ParseMessages(root), JsonFields.Bool(root, "add_generation_prompt") ?? true);
        else
            text = JsonFields.String(root, "prompt") ?? throw ApiException.BadRequest("'prompt' (a string) or 'messages' is required", "prompt");
        if (text.Length > state.Options.MaxBodyBytes) throw ApiException.BadRequest("the prompt is too long", "prompt");
        int[] tokens;
        try { tokens = state.Model.Tokenizer.Encode(text, addSpecial); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw ApiException.BadRequest($"the prompt could not be tokenized: {e.Message}", "prompt"); }
        await Results.Json(new TokenizeResponse(tokens.Length, state.Model.ContextLength, tokens), ApiJson.Options).ExecuteAsync(http);
    }

    private static async Task DetokenizeAsync(HttpContext http, ServerState state)
    {
        using var doc = await RequestBody.ReadJsonAsync(http, state.Options.MaxBodyBytes);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || JsonFields.Get(root, "tokens") is not { ValueKind: JsonValueKind.Array } arr)
            throw ApiException.BadRequest("'tokens' (an array of token ids) is required", "tokens");
        var vocab = state.Model.Tokenizer.VocabSize;
        var ids = new List<int>(arr.GetArrayLength());
        foreach (var e in arr.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var id) || id < 0 || id >= vocab)
                throw ApiException.BadRequest($"token ids must be integers in [0, {vocab})", "tokens");
            ids.Add(id);
        }
        await Results.Json(new DetokenizeResponse(state.Model.Tokenizer.Decode(ids)), ApiJson.Options).ExecuteAsync(http);
    }
}

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);
public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy, string Root, int MaxModelLen);
public sealed record TokenizeResponse(int Count, int MaxModelLen, int[] Tokens);
public sealed record DetokenizeResponse(string Prompt);
