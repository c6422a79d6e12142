using System.Text.Json;

namespace TokenFlow.Workloads;

/// <summary>
/// Reads scenario files (JSON, format in docs/simulator.md). Every error is a <see cref="WorkloadException"/>
/// whose one-line message names the file and the field. Trace paths resolve relative to the scenario file.
/// </summary>
public static class ScenarioLoader
{
    private static readonly string[] TopLevel =
        ["name", "description", "seed", "arrivals", "prompt_len", "output_len", "rate", "kv_mem_fraction", "device_kv_tokens", "hardware", "model"];

    public static Scenario Load(string path)
    {
        if (!File.Exists(path)) throw new WorkloadException(path, "file", "scenario file not found");
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new WorkloadException(path, "file", TraceReader.FirstLine(e.Message)); }
        return Parse(json, path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
    }

    /// <summary>Parses scenario JSON; <paramref name="source"/> names it in errors, <paramref name="baseDirectory"/> anchors trace paths.</summary>
    public static Scenario Parse(string json, string source = "<scenario>", string? baseDirectory = null)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new WorkloadException(source, "json", $"invalid JSON ({TraceReader.FirstLine(e.Message)})"); }
        using (doc)
        {
            var p = new Parser(source, baseDirectory ?? Directory.GetCurrentDirectory());
            return p.Scenario(doc.RootElement);
        }
    }

    private sealed class Parser(string file, string baseDir)
    {
        public Scenario Scenario(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) Fail("$", "expected a JSON object");
            CheckKeys(root, "$", TopLevel);
            if (!root.TryGetProperty("arrivals", out var arrivals)) Fail("arrivals", "missing");
            var list = new List<ArrivalProcess>();
            if (arrivals.ValueKind == JsonValueKind.Object) list.Add(Arrival(arrivals, "arrivals"));
            else if (arrivals.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var a in arrivals.EnumerateArray()) { list.Add(Arrival(a, $"arrivals[{i}]")); i++; }
                if (list.Count == 0) Fail("arrivals", "must not be empty");
            }
            else Fail("arrivals", "expected an object or an array of objects");

            var fraction = OptNumber(root, "kv_mem_fraction", "kv_mem_fraction");
            if (fraction is { } f && !(f > 0 && f <= 1)) Fail("kv_mem_fraction", $"must be in (0, 1] (got {f})");
            var kvTokens = OptNumber(root, "device_kv_tokens", "device_kv_tokens");
            if (kvTokens is { } k && !(k >= 1)) Fail("device_kv_tokens", $"must be ≥ 1 (got {k})");
            var seed = OptNumber(root, "seed", "seed");
            if (seed is { } s && (s != Math.Floor(s) || s < int.MinValue || s > int.MaxValue)) Fail("seed", $"must be an integer (got {s})");
            return new Scenario
            {
                Name = OptString(root, "name") ?? Path.GetFileNameWithoutExtension(file),
                Description = OptString(root, "description") ?? "",
                Seed = (int)(seed ?? 0),
                Arrivals = list,
                PromptLength = root.TryGetProperty("prompt_len", out var pl) ? Length(pl, "prompt_len") : new ConstantLength(128),
                OutputLength = root.TryGetProperty("output_len", out var ol) ? Length(ol, "output_len") : new ConstantLength(128),
                Rate = root.TryGetProperty("rate", out var r) ? Rate(r, "rate") : new ConstantRate(20),
                KvMemFraction = fraction,
                DeviceKvTokens = kvTokens is { } kt ? (int)kt : null,
                Hardware = OptString(root, "hardware"),
                Model = OptString(root, "model"),
                SourcePath = file,
            };
        }

        private ArrivalProcess Arrival(JsonElement e, string at)
        {
            var type = Type(e, at);
            switch (type)
            {
                case "poisson":
                {
                    CheckKeys(e, at, ["type", "rate", "count", "start", "duration"]);
                    var (count, duration) = CountOrDuration(e, at);
                    return new PoissonArrivals(Positive(e, "rate", at), count, NonNegative(e, "start", at, 0), duration);
                }
                case "gamma":
                {
                    CheckKeys(e, at, ["type", "rate", "cv", "count", "start", "duration"]);
                    var (count, duration) = CountOrDuration(e, at);
                    return new GammaArrivals(Positive(e, "rate", at), Positive(e, "cv", at), count, NonNegative(e, "start", at, 0), duration);
                }
                case "burst":
                    CheckKeys(e, at, ["type", "count", "at"]);
                    return new BurstArrivals(NonNegative(e, "at", at, 0), Count(e, "count", at));
                case "trace":
                {
                    CheckKeys(e, at, ["type", "file", "start", "time_scale", "model", "limit", "max_context"]);
                    var name = OptString(e, "file", at) ?? Fail<string>($"{at}.file", "missing");
                    var path = Path.IsPathRooted(name) ? name : Path.Combine(baseDir, name);
                    if (!File.Exists(path)) Fail($"{at}.file", $"trace file not found: {path}");
                    var records = TraceReader.Read(path, OptString(e, "model", at));
                    if (e.TryGetProperty("limit", out _)) records = records.OrderBy(x => x.Timestamp).Take(Count(e, "limit", at)).ToArray();
                    if (records.Count == 0) Fail($"{at}.file", $"trace {path} has no usable rows");
                    var clipped = 0;
                    int? maxContext = null;
                    if (e.TryGetProperty("max_context", out _))
                    {
                        maxContext = Count(e, "max_context", at);
                        if (maxContext < 2) Fail($"{at}.max_context", $"must be at least 2 (got {maxContext})");
                        (records, clipped) = TraceReader.Clip(records, maxContext.Value);
                    }
                    return new TraceArrivals(records, NonNegative(e, "start", at, 0), Positive(e, "time_scale", at, 1))
                    {
                        File = path, MaxContext = maxContext, ClippedRows = clipped,
                    };
                }
                default:
                    return Fail<ArrivalProcess>($"{at}.type", $"unknown arrival process '{type}' (expected poisson, gamma, burst or trace)");
            }
        }

        private (int Count, double Duration) CountOrDuration(JsonElement e, string at)
        {
            var hasCount = e.TryGetProperty("count", out _);
            var hasDuration = e.TryGetProperty("duration", out _);
            if (!hasCount && !hasDuration) Fail($"{at}.count", "missing (give count, duration or both)");
            return (hasCount ? Count(e, "count", at) : int.MaxValue, hasDuration ? Positive(e, "duration", at) : double.PositiveInfinity);
        }

        private LengthDistribution Length(JsonElement e, string at)
        {
            if (e.ValueKind == JsonValueKind.Number) return new ConstantLength(IntAtLeast1(e, at));
            var type = Type(e, at);
            switch (type)
            {
                case "constant":
                    CheckKeys(e, at, ["type", "value"]);
                    return new ConstantLength(IntAtLeast1(Get(e, "value", at), $"{at}.value"));
                case "uniform":
                {
                    CheckKeys(e, at, ["type", "min", "max"]);
                    var min = IntAtLeast1(Get(e, "min", at), $"{at}.min");
                    var max = IntAtLeast1(Get(e, "max", at), $"{at}.max");
                    if (max < min) Fail($"{at}.max", $"must be ≥ min ({min}) (got {max})");
                    return new UniformLength(min, max);
                }
                case "normal":
                {
                    CheckKeys(e, at, ["type", "mean", "sd", "sd_fraction"]);
                    var mean = Positive(e, "mean", at);
                    double sd;
                    if (e.TryGetProperty("sd", out _)) sd = NonNegative(e, "sd", at, 0);
                    else if (e.TryGetProperty("sd_fraction", out _)) sd = mean * NonNegative(e, "sd_fraction", at, 0);
                    else return Fail<LengthDistribution>($"{at}.sd", "missing (give sd or sd_fraction)");
                    return new NormalLength(mean, sd);
                }
                default:
                    return Fail<LengthDistribution>($"{at}.type", $"unknown length distribution '{type}' (expected normal, uniform or constant)");
            }
        }

        private RateDistribution Rate(JsonElement e, string at)
        {
            if (e.ValueKind == JsonValueKind.Number) return new ConstantRate(PositiveValue(e, at));
            var type = Type(e, at);
            switch (type)
            {
                case "constant":
                    CheckKeys(e, at, ["type", "value"]);
                    return new ConstantRate(Positive(e, "value", at));
                case "uniform":
                {
                    CheckKeys(e, at, ["type", "min", "max"]);
                    var min = Positive(e, "min", at);
                    var max = Positive(e, "max", at);
                    if (max < min) Fail($"{at}.max", $"must be ≥ min ({min}) (got {max})");
                    return new UniformRate(min, max);
                }
                case "human":
                {
                    CheckKeys(e, at, ["type", "listener_share"]);
                    var share = NonNegative(e, "listener_share", at, 0.2);
                    if (share > 1) Fail($"{at}.listener_share", $"must be in [0, 1] (got {share})");
                    return RateDistribution.Human(share);
                }
                case "paper-mixed":
                    CheckKeys(e, at, ["type"]);
                    return RateDistribution.PaperMixed();
                case "mixture":
                {
                    CheckKeys(e, at, ["type", "components"]);
                    var comps = Get(e, "components", at);
                    if (comps.ValueKind != JsonValueKind.Array || comps.GetArrayLength() == 0) Fail($"{at}.components", "expected a non-empty array");
                    var list = new List<MixtureComponent>();
                    var i = 0;
                    foreach (var c in comps.EnumerateArray())
                    {
                        var cat = $"{at}.components[{i++}]";
                        if (c.ValueKind != JsonValueKind.Object) Fail(cat, "expected an object");
                        CheckKeys(c, cat, ["weight", "value", "min", "max", "distribution"]);
                        var w = Positive(c, "weight", cat);
                        RateDistribution d;
                        if (c.TryGetProperty("distribution", out var inner)) d = Rate(inner, $"{cat}.distribution");
                        else if (c.TryGetProperty("value", out _)) d = new ConstantRate(Positive(c, "value", cat));
                        else if (c.TryGetProperty("min", out _))
                        {
                            var min = Positive(c, "min", cat);
                            var max = Positive(c, "max", cat);
                            if (max < min) Fail($"{cat}.max", $"must be ≥ min ({min}) (got {max})");
                            d = new UniformRate(min, max);
                        }
                        else d = Fail<RateDistribution>($"{cat}.value", "missing (give value, min/max or distribution)");
                        list.Add(new MixtureComponent(w, d));
                    }
                    return new MixtureRate(list);
                }
                default:
                    return Fail<RateDistribution>($"{at}.type", $"unknown rate distribution '{type}' (expected constant, uniform, mixture, human or paper-mixed)");
            }
        }

        private string Type(JsonElement e, string at)
        {
            if (e.ValueKind != JsonValueKind.Object) Fail(at, $"expected an object (got {e.ValueKind.ToString().ToLowerInvariant()})");
            return (OptString(e, "type", at) ?? Fail<string>($"{at}.type", "missing")).ToLowerInvariant();
        }

        private void CheckKeys(JsonElement e, string at, string[] allowed)
        {
            foreach (var p in e.EnumerateObject())
            {
                // "comment", "_x" and "x-..." keys are free for annotations and other tools' extensions.
                if (p.Name == "comment" || p.Name.StartsWith('_') || p.Name.StartsWith("x-", StringComparison.Ordinal)) continue;
                if (!allowed.Contains(p.Name)) Fail(at == "$" ? p.Name : $"{at}.{p.Name}", $"unknown field (expected one of: {string.Join(", ", allowed)})");
            }
        }

        private JsonElement Get(JsonElement e, string name, string at)
        {
            if (!e.TryGetProperty(name, out var v)) Fail($"{at}.{name}", "missing");
            return v;
        }

        private string? OptString(JsonElement e, string name, string? at = null)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.String) Fail(at is null ? name : $"{at}.{name}", $"expected a string (got {v.GetRawText()})");
            return v.GetString();
        }

        private double? OptNumber(JsonElement e, string name, string field)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number) Fail(field, $"expected a number (got {v.GetRawText()})");
            return v.GetDouble();
        }

        private double Positive(JsonElement e, string name, string at, double? fallback = null)
        {
            if (!e.TryGetProperty(name, out var v))
                return fallback ?? Fail<double>($"{at}.{name}", "missing");
            return PositiveValue(v, $"{at}.{name}");
        }

        private double PositiveValue(JsonElement v, string field)
        {
            if (v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble()) || !(v.GetDouble() > 0))
                Fail(field, $"must be a positive number (got {v.GetRawText()})");
            return v.GetDouble();
        }

        private double NonNegative(JsonElement e, string name, string at, double fallback)
        {
            if (!e.TryGetProperty(name, out var v)) return fallback;
            if (v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble()) || v.GetDouble() < 0)
                Fail($"{at}.{name}", $"must be a non-negative number (got {v.GetRawText()})");
            return v.GetDouble();
        }

        private int Count(JsonElement e, string name, string at)
        {
            var v = Get(e, name, at);
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < 1) Fail($"{at}.{name}", $"must be a positive integer (got {v.GetRawText()})");
            return v.GetInt32();
        }

        private int IntAtLeast1(JsonElement v, string field)
        {
            if (v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble()) || v.GetDouble() < 1 || v.GetDouble() > int.MaxValue)
                Fail(field, $"must be a number ≥ 1 (got {v.GetRawText()})");
            return (int)Math.Round(v.GetDouble());
        }

        private void Fail(string field, string problem) => throw new WorkloadException(file, field, problem);
        private T Fail<T>(string field, string problem) => throw new WorkloadException(file, field, problem);
    }
}
