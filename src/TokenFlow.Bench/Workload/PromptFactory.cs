using System.Text;
using System.Text.Json;

namespace TokenFlow.Bench.Workload;

/// <summary>
/// Builds prompt text: from a word list sized to each request's prompt length (through a
/// <see cref="PromptCalibration"/>), or taken in turn from a JSONL dataset of prompts.
/// </summary>
public sealed class PromptFactory
{
    // Short, common English words: one token each on most BPE vocabularies.
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with", "as",
        "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "hot", "word", "but", "what",
        "some", "we", "can", "out", "other", "were", "all", "there", "when", "up", "use", "your", "how", "said",
        "an", "each", "she", "which", "do", "their", "time", "if", "will", "way", "about", "many", "then", "them",
        "write", "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has", "look",
        "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people", "my", "over", "know",
        "water", "than", "call", "first", "who", "may", "down", "side", "been", "now", "find", "any", "new", "work",
        "part", "take", "get", "place", "made", "live", "where", "after", "back", "little", "only", "round", "man",
        "year", "came", "show", "every", "good", "me", "give", "our", "under", "name", "very", "through", "just",
        "form", "much", "great", "think", "say", "help", "low", "line", "before", "turn", "cause", "same", "mean",
        "boy", "old", "too", "does", "tell", "sentence", "set", "three", "want", "air", "well", "also", "play",
        "small", "end", "put", "home", "read", "hand", "port", "large", "spell", "add", "even", "land", "here",
        "must", "big", "high", "such", "follow", "act", "why", "ask", "men", "change", "went", "light", "kind",
        "off", "need", "house", "picture", "try", "us", "again", "animal", "point", "mother", "world", "near",
        "build", "self", "earth", "father", "head", "stand", "own", "page", "should", "country", "found", "answer",
        "school", "grow", "study", "still", "learn", "plant", "cover", "food", "sun", "four", "thought", "let",
        "keep", "eye", "never", "last", "door", "between", "city", "tree", "cross", "since", "hard", "start", "might",
        "story", "saw", "far", "sea", "draw", "left", "late", "run", "while", "press", "close", "night", "real",
        "life", "few", "stop", "open", "seem", "together", "next", "white", "children", "begin", "got", "walk",
        "example", "ease", "paper", "often", "always", "music", "those", "both", "mark", "book", "letter", "until",
        "mile", "river", "car", "feet", "care", "second", "group", "carry", "took", "rain", "eat", "room", "friend",
    ];

    private readonly IReadOnlyList<string>? _dataset;
    private readonly int _seed;

    public PromptFactory(int seed, IReadOnlyList<string>? dataset = null)
    {
        _seed = seed;
        _dataset = dataset;
    }

    public PromptCalibration Calibration { get; set; } = PromptCalibration.Default;
    public bool UsesDataset => _dataset is not null;

    /// <summary>The prompt of request number <paramref name="index"/>: deterministic per seed, different per request (no shared prefix to cache).</summary>
    public string Build(int index, int promptTokens)
    {
        if (_dataset is not null) return _dataset[index % _dataset.Count];
        return RandomWords(Calibration.WordsFor(promptTokens), new Random(unchecked(_seed * 7919 + index)));
    }

    /// <summary>Exactly <paramref name="count"/> words (for calibration probes).</summary>
    public static string RandomWords(int count, Random rng)
    {
        var sb = new StringBuilder(count * 6);
        for (var i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Words[rng.Next(Words.Length)]);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Reads a JSONL dataset: one object per line with "prompt" (or "text"), or a bare JSON string.
    /// Errors name the file and the line.
    /// </summary>
    public static IReadOnlyList<string> LoadDataset(string path)
    {
        if (!File.Exists(path)) throw new BenchException($"{path}: dataset file not found");
        var prompts = new List<string>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                string? p = e.ValueKind switch
                {
                    JsonValueKind.String => e.GetString(),
                    JsonValueKind.Object when e.TryGetProperty("prompt", out var v) && v.ValueKind == JsonValueKind.String => v.GetString(),
                    JsonValueKind.Object when e.TryGetProperty("text", out var v) && v.ValueKind == JsonValueKind.String => v.GetString(),
                    _ => null,
                };
                if (string.IsNullOrEmpty(p)) throw new BenchException($"{path}: line {n}: expected {{\"prompt\": \"...\"}} (or \"text\", or a JSON string)");
                prompts.Add(p);
            }
            catch (JsonException e) { throw new BenchException($"{path}: line {n}: invalid JSON ({e.Message.Split('\n')[0]})"); }
        }
        if (prompts.Count == 0) throw new BenchException($"{path}: no prompts");
        return prompts;
    }
}
