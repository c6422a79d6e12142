using System.Globalization;
using System.Text.Json;
using TokenFlow.Core.Requests;
using TokenFlow.Server.Model;

namespace TokenFlow.Server.Api;

/// <summary>Turns OpenAI (and vLLM-extended) request bodies into <see cref="GenerationRequest"/>s, or a 400 that names the field.</summary>
public sealed class RequestParser(IModelHost model, ServerOptions options, ChatPromptBuilder chat, IReadOnlyCollection<string> modelNames)
{
    public ChatPromptBuilder Chat => chat;

    public const int MaxStopStrings = 16;
    public const int MaxStopLength = 512;

    /// <summary>Most alternatives per token for logprobs / top_logprobs (vLLM's default max_logprobs).</summary>
    public const int MaxLogprobs = 20;

    /// <summary>Accepted consumption rates, tokens/s; the top means "unpaced".</summary>
    public const double MinRate = 0.01, MaxRate = 1e6;

    public GenerationRequest ParseCompletion(JsonElement root, HttpRequest http)
    {
        RequireObject(root);
        CheckModel(root);
        if (JsonFields.Get(root, "prompt") is not { } p) throw ApiException.BadRequest("'prompt' is required", "prompt");
        var echo = JsonFields.Bool(root, "echo") ?? false;
        int? logprobs = JsonFields.Get(root, "logprobs") is { ValueKind: JsonValueKind.False } ? null : (int?)JsonFields.Int(root, "logprobs", 0, MaxLogprobs);
        if (echo && logprobs is not null) throw ApiException.BadRequest("'echo' together with 'logprobs' (prompt logprobs) is not supported", "echo");
        if (JsonFields.Int(root, "best_of", 1, int.MaxValue) is > 1) throw ApiException.BadRequest("only best_of=1 is supported", "best_of");
        if (JsonFields.String(root, "suffix") is { Length: > 0 }) throw ApiException.BadRequest("'suffix' is not supported", "suffix");
        var tokens = CompletionPrompt(p, out var promptText);
        return ParseCommon(root, http, tokens, JsonFields.Int(root, "max_tokens", 1, int.MaxValue), logprobs) with
        {
            EchoText = echo ? promptText ?? model.Tokenizer.Decode(tokens) : null,
        };
    }

    public GenerationRequest ParseChat(JsonElement root, HttpRequest http)
    {
        RequireObject(root);
        CheckModel(root);
        var messages = ParseMessages(root);
        if (JsonFields.Bool(root, "echo") == true) throw ApiException.BadRequest("'echo' is not supported on chat completions", "echo");
        var logprobs = JsonFields.Bool(root, "logprobs") ?? false;
        var top = JsonFields.Int(root, "top_logprobs", 0, MaxLogprobs);
        if (top is not null && !logprobs) throw ApiException.BadRequest("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
        foreach (var name in (string[])["tools", "functions"])
            if (JsonFields.Get(root, name) is { } tools && !(tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() == 0))
                throw ApiException.BadRequest($"'{name}' (tool calling) is not supported by this server", name);
        foreach (var name in (string[])["tool_choice", "function_call"])
            if (JsonFields.Get(root, name) is { } choice && !(choice.ValueKind == JsonValueKind.String && choice.GetString() == "none"))
                throw ApiException.BadRequest($"'{name}' (tool calling) is not supported by this server", name);
        var addGenerationPrompt = JsonFields.Bool(root, "add_generation_prompt") ?? true;
        var tokens = chat.Encode(messages, addGenerationPrompt);
        var max = JsonFields.Int(root, "max_completion_tokens", 1, int.MaxValue) ?? JsonFields.Int(root, "max_tokens", 1, int.MaxValue);
        return ParseCommon(root, http, tokens, max, logprobs ? (int)(top ?? 0) : null);
    }

    /// <summary>Chat messages as (role, text); content may be a string or an array of text parts.</summary>
    public static IReadOnlyList<ChatMessage> ParseMessages(JsonElement root)
    {
        if (JsonFields.Get(root, "messages") is not { ValueKind: JsonValueKind.Array } arr) throw ApiException.BadRequest("'messages' must be a non-empty array", "messages");
        var list = new List<ChatMessage>();
        foreach (var m in arr.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("each message must be an object", "messages");
            var role = JsonFields.String(m, "role") ?? throw ApiException.BadRequest("each message needs a 'role'", "messages");
            if (role is not ("system" or "developer" or "user" or "assistant" or "tool"))
                throw ApiException.BadRequest($"unknown message role '{Trim(role)}' (expected system, developer, user, assistant or tool)", "messages");
            list.Add(new ChatMessage(role == "developer" ? "system" : role, Content(m)));
        }
        if (list.Count == 0) throw ApiException.BadRequest("'messages' must be a non-empty array", "messages");
        return list;
    }

    private static string Content(JsonElement m)
    {
        if (JsonFields.Get(m, "content") is not { } c) return "";
        if (c.ValueKind == JsonValueKind.String) return JsonFields.Text(c, "messages");
        if (c.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("message 'content' must be a string or an array of text parts", "messages");
        var parts = new List<string>();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || JsonFields.String(part, "type") != "text")
                throw ApiException.BadRequest("only text content parts are supported", "messages");
            parts.Add(JsonFields.String(part, "text") ?? "");
        }
        return string.Join("\n", parts);
    }

    private GenerationRequest ParseCommon(JsonElement root, HttpRequest http, int[] prompt, long? maxTokens, int? logprobs)
    {
        var ctx = model.ContextLength;
        if (prompt.Length >= ctx)
            throw ApiException.BadRequest($"This model's maximum context length is {ctx} tokens. However, your prompt has {prompt.Length} tokens, which leaves no room for output.", "prompt", "context_length_exceeded");
        if (maxTokens is { } mt && prompt.Length + mt > ctx)
            throw ApiException.BadRequest($"This model's maximum context length is {ctx} tokens. However, you requested {prompt.Length + mt} tokens ({prompt.Length} in the prompt, {mt} in the completion). Please reduce the prompt or the completion length.", "max_tokens", "context_length_exceeded");
        var max = (int)(maxTokens ?? ctx - prompt.Length);

        var n = JsonFields.Int(root, "n", 1, int.MaxValue);
        if (n is > 1) throw ApiException.BadRequest($"only n=1 is supported (got n={n})", "n");

        var temperature = JsonFields.Double(root, "temperature", 0, 2) ?? 1.0;
        var topP = JsonFields.Double(root, "top_p", 0, 1, minExclusive: true) ?? 1.0;
        var topK = JsonFields.Int(root, "top_k", -1, int.MaxValue) ?? 0;
        var seed = JsonFields.Int(root, "seed", long.MinValue, long.MaxValue);
        var minTokens = JsonFields.Int(root, "min_tokens", 0, int.MaxValue) ?? 0;
        if (minTokens > max) throw ApiException.BadRequest($"'min_tokens' ({minTokens}) must not exceed the maximum output length ({max})", "min_tokens");
        var priority = JsonFields.Int(root, "priority", int.MinValue, int.MaxValue) ?? 0;
        var ignoreEos = JsonFields.Bool(root, "ignore_eos") ?? false;
        var stream = JsonFields.Bool(root, "stream") ?? false;
        var user = JsonFields.String(root, "user");
        var skipSpecial = JsonFields.Bool(root, "skip_special_tokens") ?? true;
        var presence = JsonFields.Double(root, "presence_penalty", -2, 2) ?? 0;
        var frequency = JsonFields.Double(root, "frequency_penalty", -2, 2) ?? 0;
        var repetition = JsonFields.Double(root, "repetition_penalty", 0, 10, minExclusive: true) ?? 1;
        var minP = JsonFields.Double(root, "min_p", 0, 1) ?? 0;
        var json = JsonObjectFormat(root);

        bool includeUsage = false, continuous = false;
        if (JsonFields.Get(root, "stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("'stream_options' must be an object", "stream_options");
            if (!stream) throw ApiException.BadRequest("'stream_options' is only allowed when 'stream' is true", "stream_options");
            includeUsage = JsonFields.Bool(so, "include_usage") ?? false;
            continuous = JsonFields.Bool(so, "continuous_usage_stats") ?? false;
        }

        return new GenerationRequest
        {
            PromptTokens = prompt,
            MaxTokens = max,
            Sampling = new SamplingParams
            {
                Temperature = (float)temperature,
                TopP = (float)topP,
                TopK = topK < 0 ? 0 : (int)topK,
                Seed = seed is { } s ? unchecked((ulong)s) : null,
                PresencePenalty = (float)presence,
                FrequencyPenalty = (float)frequency,
                RepetitionPenalty = (float)repetition,
                MinP = (float)minP,
                LogitBias = LogitBias(root),
                Logprobs = logprobs,
            },
            JsonObject = json,
            ConsumptionRate = Rate(root, http),
            Priority = (int)priority,
            Stream = stream,
            IncludeUsage = includeUsage,
            ContinuousUsage = continuous,
            IgnoreEos = ignoreEos,
            MinTokens = (int)minTokens,
            StopStrings = Stops(root),
            StopTokenIds = StopTokenIds(root),
            SkipSpecialTokens = skipSpecial,
            User = user,
        };
    }

    /// <summary>Body field <c>consumption_rate</c> wins over the X-Consumption-Rate header; else the server default. Always finite, in [MinRate, MaxRate].</summary>
    private double Rate(JsonElement root, HttpRequest http)
    {
        if (JsonFields.Double(root, "consumption_rate", MinRate, MaxRate) is { } r) return r;
        if (http.Headers.TryGetValue("X-Consumption-Rate", out var hv))
        {
            if (hv.Count != 1 || !double.TryParse(hv[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var h) || !double.IsFinite(h) || h < MinRate || h > MaxRate)
                throw ApiException.BadRequest($"header X-Consumption-Rate must be one number of tokens/s in [{MinRate}, {MaxRate:0e0}]", "X-Consumption-Rate");
            return h;
        }
        return options.DefaultConsumptionRate;
    }

    /// <summary>OpenAI's logit_bias: {"token id": bias in [−100, 100]}.</summary>
    private Dictionary<int, float>? LogitBias(JsonElement root)
    {
        if (JsonFields.Get(root, "logit_bias") is not { } b) return null;
        if (b.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("'logit_bias' must be an object mapping token ids to biases", "logit_bias");
        var vocab = model.Tokenizer.VocabSize;
        var map = new Dictionary<int, float>();
        foreach (var e in b.EnumerateObject())
        {
            if (!int.TryParse(e.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 0 || id >= vocab)
                throw ApiException.BadRequest($"'logit_bias' keys must be token ids in [0, {vocab}), got '{Trim(e.Name)}'", "logit_bias");
            if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetDouble(out var v) || !double.IsFinite(v) || v < -100 || v > 100)
                throw ApiException.BadRequest($"'logit_bias' values must be numbers in [-100, 100] (token {id})", "logit_bias");
            map[id] = (float)v;
        }
        return map.Count == 0 ? null : map;
    }

    /// <summary>response_format: "text" (default) or "json_object" (constrained decoding); anything else is refused.</summary>
    private static bool JsonObjectFormat(JsonElement root)
    {
        if (JsonFields.Get(root, "response_format") is not { } f) return false;
        if (f.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("'response_format' must be an object with a 'type'", "response_format");
        return JsonFields.String(f, "type") switch
        {
            null or "text" => false,
            "json_object" => true,
            "json_schema" => throw ApiException.BadRequest("response_format type 'json_schema' is not supported; use 'json_object'", "response_format"),
            var t => throw ApiException.BadRequest($"unknown response_format type '{Trim(t)}' (expected text or json_object)", "response_format"),
        };
    }

    private static IReadOnlyList<string> Stops(JsonElement root)
    {
        if (JsonFields.Get(root, "stop") is not { } s) return [];
        var list = new List<string>();
        if (s.ValueKind == JsonValueKind.String) list.Add(JsonFields.Text(s, "stop"));
        else if (s.ValueKind == JsonValueKind.Array)
            foreach (var e in s.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("'stop' must be a string or an array of strings", "stop");
                list.Add(JsonFields.Text(e, "stop"));
            }
        else throw ApiException.BadRequest("'stop' must be a string or an array of strings", "stop");
        list.RemoveAll(x => x.Length == 0);
        if (list.Count > MaxStopStrings) throw ApiException.BadRequest($"at most {MaxStopStrings} stop sequences are supported", "stop");
        if (list.Any(x => x.Length > MaxStopLength)) throw ApiException.BadRequest($"stop sequences are limited to {MaxStopLength} characters", "stop");
        return list;
    }

    private IReadOnlySet<int>? StopTokenIds(JsonElement root)
    {
        if (JsonFields.Get(root, "stop_token_ids") is not { } s) return null;
        if (s.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("'stop_token_ids' must be an array of token ids", "stop_token_ids");
        var set = new HashSet<int>();
        foreach (var e in s.EnumerateArray()) set.Add(TokenId(e, "stop_token_ids"));
        return set.Count == 0 ? null : set;
    }

    private int[] CompletionPrompt(JsonElement p, out string? text)
    {
        text = null;
        switch (p.ValueKind)
        {
            case JsonValueKind.String:
                text = JsonFields.Text(p, "prompt");
                return Encode(text, "prompt");
            case JsonValueKind.Array:
                var len = p.GetArrayLength();
                if (len == 0) throw ApiException.BadRequest("'prompt' must not be empty", "prompt");
                var first = p[0];
                if (first.ValueKind == JsonValueKind.String)
                {
                    if (len > 1) throw ApiException.BadRequest("only one prompt per request is supported (batched prompts would need n>1 choices)", "prompt");
                    text = JsonFields.Text(first, "prompt");
                    return Encode(text, "prompt");
                }
                if (first.ValueKind == JsonValueKind.Array)
                {
                    if (len > 1) throw ApiException.BadRequest("only one prompt per request is supported (batched prompts would need n>1 choices)", "prompt");
                    return TokenArray(first);
                }
                return TokenArray(p);
            default:
                throw ApiException.BadRequest("'prompt' must be a string, an array of token ids, or an array with one of those", "prompt");
        }
    }

    private int[] TokenArray(JsonElement arr)
    {
        var tokens = new int[arr.GetArrayLength()];
        if (tokens.Length == 0) throw ApiException.BadRequest("'prompt' must not be empty", "prompt");
        if (tokens.Length > model.ContextLength)
            throw ApiException.BadRequest($"This model's maximum context length is {model.ContextLength} tokens. However, your prompt has {tokens.Length} tokens.", "prompt", "context_length_exceeded");
        var i = 0;
        foreach (var e in arr.EnumerateArray()) tokens[i++] = TokenId(e, "prompt");
        return tokens;
    }

    private int TokenId(JsonElement e, string param)
    {
        var vocab = model.Tokenizer.VocabSize;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var id) || id < 0 || id >= vocab)
            throw ApiException.BadRequest($"token ids must be integers in [0, {vocab})", param);
        return id;
    }

    private int[] Encode(string text, string param)
    {
        // Cheap bound before tokenizing: no tokenizer emits fewer tokens than chars/64.
        if (text.Length > model.ContextLength * 64L)
            throw ApiException.BadRequest($"This model's maximum context length is {model.ContextLength} tokens; the {param} is far longer.", param, "context_length_exceeded");
        try { return model.Tokenizer.Encode(text, addBos: true); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw ApiException.BadRequest($"the {param} could not be tokenized: {e.Message}", param);
        }
    }

    private void CheckModel(JsonElement root)
    {
        if (JsonFields.String(root, "model") is { } m && !modelNames.Contains(m))
            throw new ApiException(404, $"The model `{Trim(m)}` does not exist.", "invalid_request_error", "model", "model_not_found");
    }

    private static void RequireObject(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("the request body must be a JSON object");
    }

    private static string Trim(string s) => s.Length <= 64 ? s : s[..64] + "…";
}

/// <summary>One chat turn after parsing.</summary>
public sealed record ChatMessage(string Role, string Content);
