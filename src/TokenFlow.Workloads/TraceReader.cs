using System.Globalization;
using System.Text.Json;

namespace TokenFlow.Workloads;

/// <summary>
/// Reads request traces: BurstGPT CSV, Azure LLM inference CSV, Mooncake JSONL and our own JSONL.
/// Errors name the file, the line and the field.
/// </summary>
public static class TraceReader
{
    /// <summary>
    /// Reads a trace, choosing the format by extension and content: a .csv whose header has
    /// <c>ContextTokens</c> is Azure's, any other .csv BurstGPT; a .jsonl whose first object has
    /// <c>input_length</c> is Mooncake's, any other our own JSONL.
    /// </summary>
    public static IReadOnlyList<TraceRecord> Read(string path, string? modelFilter = null)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csv" => FirstLine(ReadLines(path).FirstOrDefault() ?? "").Contains("contexttokens", StringComparison.OrdinalIgnoreCase)
                ? ReadAzure(path) : ReadBurstGpt(path, modelFilter),
            ".jsonl" or ".json" or ".ndjson" => ReadLines(path).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Contains("\"input_length\"", StringComparison.Ordinal) == true
                ? ReadMooncake(path) : ReadJsonl(path),
            _ => throw new WorkloadException(path, "format", $"unknown trace extension '{ext}' (expected .csv for BurstGPT or Azure, .jsonl for Mooncake or ours)"),
        };
    }

    /// <summary>
    /// Azure LLM inference trace (2023/2024): header <c>TIMESTAMP,ContextTokens,GeneratedTokens</c>,
    /// timestamps as date-times (<c>2023-11-16 18:15:46.6805900</c>) or seconds. Rows with 0
    /// generated tokens are skipped; a 0-token context is clipped to 1.
    /// </summary>
    public static IReadOnlyList<TraceRecord> ReadAzure(string path)
    {
        var lines = ReadLines(path);
        if (lines.Length == 0) throw new WorkloadException(path, "header", "empty file");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(string name)
        {
            var i = Array.IndexOf(header, name.ToLowerInvariant());
            if (i < 0) throw new WorkloadException(path, "header", $"missing column '{name}' (Azure: TIMESTAMP, ContextTokens, GeneratedTokens)");
            return i;
        }
        int ts = Col("TIMESTAMP"), ctx = Col("ContextTokens"), gen = Col("GeneratedTokens");
        var records = new List<TraceRecord>();
        for (var n = 1; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            var cells = lines[n].Split(',');
            if (cells.Length < header.Length) throw new WorkloadException(path, $"line {n + 1}", $"expected {header.Length} columns, got {cells.Length}");
            var t = ParseTime(path, n, "TIMESTAMP", cells[ts]);
            var p = ParseCount(path, n, "ContextTokens", cells[ctx]);
            var o = ParseCount(path, n, "GeneratedTokens", cells[gen]);
            if (o == 0) continue;
            records.Add(new TraceRecord(t, Math.Max(1, p), o));
        }
        return records;
    }

    /// <summary>
    /// Mooncake trace: one object per line with <c>timestamp</c> in milliseconds, <c>input_length</c>
    /// and <c>output_length</c> (other fields such as <c>hash_ids</c> are ignored).
    /// </summary>
    public static IReadOnlyList<TraceRecord> ReadMooncake(string path)
    {
        return ReadJsonObjects(path, (n, o) =>
        {
            var t = Number(path, n, o, "timestamp") / 1000;
            var p = (int)Number(path, n, o, "input_length");
            var l = (int)Number(path, n, o, "output_length");
            return l == 0 ? null : new TraceRecord(t, Math.Max(1, p), l);
        });
    }

    /// <summary>One JSON object per line (blank lines skipped); <paramref name="read"/> returns null to skip a row.</summary>
    private static List<TraceRecord> ReadJsonObjects(string path, Func<int, JsonElement, TraceRecord?> read)
    {
        var lines = ReadLines(path);
        var records = new List<TraceRecord>();
        for (var n = 0; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(lines[n]); }
            catch (JsonException e) { throw new WorkloadException(path, $"line {n + 1}", $"invalid JSON ({FirstLine(e.Message)})"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new WorkloadException(path, $"line {n + 1}", "expected a JSON object");
                if (read(n, doc.RootElement) is { } record) records.Add(record);
            }
        }
        return records;
    }

    /// <summary>
    /// Fits every record into <paramref name="maxContext"/> tokens (prompt + output): the prompt is
    /// cut first (keeping at least one token), then the output. Returns the records and how many were clipped.
    /// </summary>
    public static (IReadOnlyList<TraceRecord> Records, int Clipped) Clip(IReadOnlyList<TraceRecord> records, int maxContext)
    {
        if (maxContext < 2) throw new ArgumentOutOfRangeException(nameof(maxContext), "a context holds at least one prompt and one output token");
        var clipped = 0;
        var result = new TraceRecord[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (r.PromptLength + r.OutputLength <= maxContext) { result[i] = r; continue; }
            clipped++;
            var prompt = Math.Max(1, maxContext - r.OutputLength);
            result[i] = r with { PromptLength = prompt, OutputLength = Math.Min(r.OutputLength, maxContext - prompt) };
        }
        return (result, clipped);
    }

    /// <summary>
    /// BurstGPT format: header <c>Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type</c>,
    /// timestamps in seconds. Rows with 0 response tokens are failed requests in BurstGPT and are skipped;
    /// a 0-token prompt is clipped to 1. <paramref name="modelFilter"/> keeps only rows of that model.
    /// </summary>
    public static IReadOnlyList<TraceRecord> ReadBurstGpt(string path, string? modelFilter = null)
    {
        var lines = ReadLines(path);
        if (lines.Length == 0) throw new WorkloadException(path, "header", "empty file");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(string name)
        {
            var i = Array.IndexOf(header, name.ToLowerInvariant());
            if (i < 0) throw new WorkloadException(path, "header", $"missing column '{name}' (BurstGPT: Timestamp, Model, Request tokens, Response tokens, Total tokens, Log Type)");
            return i;
        }
        int ts = Col("Timestamp"), req = Col("Request tokens"), resp = Col("Response tokens");
        var model = Array.IndexOf(header, "model");
        var records = new List<TraceRecord>();
        for (var n = 1; n < lines.Length; n++)
        {
            var line = lines[n];
            if (string.IsNullOrWhiteSpace(line)) continue;
            var cells = line.Split(',');
            if (cells.Length < header.Length) throw new WorkloadException(path, $"line {n + 1}", $"expected {header.Length} columns, got {cells.Length}");
            if (modelFilter is not null && model >= 0 && !string.Equals(cells[model].Trim(), modelFilter, StringComparison.OrdinalIgnoreCase)) continue;
            var t = ParseDouble(path, n, "Timestamp", cells[ts]);
            var p = ParseCount(path, n, "Request tokens", cells[req]);
            var o = ParseCount(path, n, "Response tokens", cells[resp]);
            if (o == 0) continue;
            records.Add(new TraceRecord(t, Math.Max(1, p), o));
        }
        return records;
    }

    /// <summary>
    /// JSONL: one object per line with <c>timestamp</c> (s), <c>prompt_len</c>, <c>output_len</c> and
    /// optionally <c>rate</c> (tokens/s). Blank lines are skipped.
    /// </summary>
    public static IReadOnlyList<TraceRecord> ReadJsonl(string path) =>
        ReadJsonObjects(path, (n, o) =>
        {
            var t = Number(path, n, o, "timestamp");
            var p = (int)Number(path, n, o, "prompt_len");
            var l = (int)Number(path, n, o, "output_len");
            if (p < 1) throw new WorkloadException(path, $"line {n + 1}.prompt_len", $"must be ≥ 1 (got {p})");
            if (l < 1) throw new WorkloadException(path, $"line {n + 1}.output_len", $"must be ≥ 1 (got {l})");
            double? rate = null;
            if (o.TryGetProperty("rate", out var r) && r.ValueKind != JsonValueKind.Null)
            {
                if (r.ValueKind != JsonValueKind.Number || !(r.GetDouble() > 0))
                    throw new WorkloadException(path, $"line {n + 1}.rate", $"must be a positive number (got {r.GetRawText()})");
                rate = r.GetDouble();
            }
            return new TraceRecord(t, p, l, rate);
        });

    /// <summary>Writes records in BurstGPT format (for generating sample traces).</summary>
    public static void WriteBurstGpt(string path, IEnumerable<TraceRecord> records, string model = "ChatGPT", string logType = "Conversation log")
    {
        using var w = new StreamWriter(path);
        w.WriteLine("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type");
        foreach (var r in records)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Timestamp:0.###},{model},{r.PromptLength},{r.OutputLength},{r.PromptLength + r.OutputLength},{logType}"));
    }

    private static string[] ReadLines(string path)
    {
        if (!File.Exists(path)) throw new WorkloadException(path, "file", "trace file not found");
        try { return File.ReadAllLines(path); }
        catch (IOException e) { throw new WorkloadException(path, "file", FirstLine(e.Message)); }
    }

    private static double ParseDouble(string path, int n, string field, string cell)
    {
        if (!double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0)
            throw new WorkloadException(path, $"line {n + 1}.{field}", $"expected a non-negative number (got '{cell.Trim()}')");
        return v;
    }

    private static double ParseTime(string path, int n, string field, string cell)
    {
        var s = cell.Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= 0) return v;
        if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d))
            return (d - DateTime.UnixEpoch).TotalSeconds;
        throw new WorkloadException(path, $"line {n + 1}.{field}", $"expected a date-time or a non-negative number of seconds (got '{s}')");
    }

    private static int ParseCount(string path, int n, string field, string cell)
    {
        if (!int.TryParse(cell.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0)
            throw new WorkloadException(path, $"line {n + 1}.{field}", $"expected a non-negative integer (got '{cell.Trim()}')");
        return v;
    }

    private static double Number(string path, int n, JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var e)) throw new WorkloadException(path, $"line {n + 1}.{name}", "missing");
        if (e.ValueKind != JsonValueKind.Number || !double.IsFinite(e.GetDouble()) || e.GetDouble() < 0)
            throw new WorkloadException(path, $"line {n + 1}.{name}", $"must be a non-negative number (got {e.GetRawText()})");
        return e.GetDouble();
    }

    internal static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
