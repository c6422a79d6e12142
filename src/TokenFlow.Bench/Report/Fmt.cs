using System.Globalization;

namespace TokenFlow.Bench.Report;

/// <summary>Number formatting for tables: invariant culture, "–" for missing values.</summary>
internal static class Fmt
{
    public static string N(double v, string format = "0.###") =>
        double.IsNaN(v) ? "–" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf") : v.ToString(format, CultureInfo.InvariantCulture);

    public static string Ms(double seconds) => N(seconds * 1000, "0.##");
    public static string Pct(double share) => double.IsNaN(share) ? "–" : (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
