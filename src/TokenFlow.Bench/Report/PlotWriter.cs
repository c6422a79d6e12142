using ScottPlot;
using TokenFlow.Bench.Results;

namespace TokenFlow.Bench.Report;

/// <summary>
/// <c>--report DIR</c>: PNG plots of one run (ScottPlot): the TTFT CDF, effective and token throughput over
/// time, a per-request timeline of buffer occupancy, and stall time per request.
/// </summary>
public static class PlotWriter
{
    public const int Width = 1000, Height = 600;

    public static IReadOnlyList<string> WriteRun(BenchReport report, string dir)
    {
        Directory.CreateDirectory(dir);
        return [TtftCdf([report], Path.Combine(dir, "ttft_cdf.png")), Throughput(report, Path.Combine(dir, "throughput.png")),
            BufferTimeline(report, Path.Combine(dir, "buffer_timeline.png")), Stalls(report, Path.Combine(dir, "stall_per_request.png"))];
    }

    /// <summary>One TTFT CDF per report (several for <c>bench compare</c>).</summary>
    public static string TtftCdf(IReadOnlyList<BenchReport> reports, string path)
    {
        var plot = new Plot();
        foreach (var r in reports)
        {
            var (x, y) = ReportSeries.TtftCdf(r);
            if (x.Length == 0) continue;
            var s = plot.Add.Scatter(x, y);
            s.ConnectStyle = ConnectStyle.StepHorizontal;
            s.MarkerSize = 0;
            s.LineWidth = 2;
            s.LegendText = r.Config.Label;
        }
        plot.Title("TTFT distribution (CDF)");
        plot.XLabel("time to first token (s)");
        plot.YLabel("fraction of requests");
        plot.Axes.SetLimitsY(0, 1.02);
        if (reports.Count > 1) plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, path);
    }

    public static string Throughput(BenchReport r, string path)
    {
        var (t, token, effective, consumed) = ReportSeries.Throughput(r);
        var plot = new Plot();
        Line(plot, t, token, "token throughput");
        Line(plot, t, effective, "effective throughput (Σw)");
        Line(plot, t, consumed, "consumed by readers");
        plot.Title($"Throughput over time ({Fmt.N(ReportSeries.BinWidth(r), "0.###")} s bins)");
        plot.XLabel("time since start (s)");
        plot.YLabel("tokens/s");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, path);
    }

    /// <summary>Effective and token throughput over time, one pair of lines per run (for <c>bench compare</c>).</summary>
    public static string ThroughputCompare(IReadOnlyList<BenchReport> reports, string path)
    {
        var plot = new Plot();
        var width = reports.Max(ReportSeries.BinWidth);
        foreach (var r in reports)
        {
            var (t, token, effective, _) = ReportSeries.Throughput(r, width);
            Line(plot, t, effective, $"{r.Config.Label}: effective");
            var s = Line(plot, t, token, $"{r.Config.Label}: token");
            s.LinePattern = LinePattern.Dashed;
        }
        plot.Title($"Effective (solid) and token (dashed) throughput ({Fmt.N(width, "0.###")} s bins)");
        plot.XLabel("time since start (s)");
        plot.YLabel("tokens/s");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, path);
    }

    public static string BufferTimeline(BenchReport r, string path)
    {
        var (grid, w, rows) = ReportSeries.BufferGrid(r);
        var plot = new Plot();
        if (rows.Count > 0)
        {
            var hm = plot.Add.Heatmap(grid);
            hm.Colormap = new ScottPlot.Colormaps.Viridis();
            hm.Extent = new CoordinateRect(0, grid.GetLength(1) * w, rows.Count, 0);
            hm.NaNCellColor = Colors.Transparent;
            plot.Add.ColorBar(hm).Label = "buffered tokens b(t)";
        }
        plot.Title("Buffer occupancy per request (blank: not started or fully read)");
        plot.XLabel("time since start (s)");
        plot.YLabel(rows.Count < r.Requests.Count(q => q.TokenTimes.Length > 0) ? $"request (arrival order, {rows.Count} sampled)" : "request (arrival order)");
        return Save(plot, path);
    }

    public static string Stalls(BenchReport r, string path)
    {
        var rows = r.Requests.OrderBy(q => q.SentAt).ToArray();
        var plot = new Plot();
        if (rows.Length > 0)
        {
            var bars = plot.Add.Bars(rows.Select(q => q.StallSeconds).ToArray());
            foreach (var b in bars.Bars)
            {
                b.LineWidth = 0;
                b.Size = 0.9;
            }
        }
        plot.Title($"Stall (rebuffer) time per request: mean {Fmt.N(r.Summary.StallMeanSeconds)} s, P99 {Fmt.N(r.Summary.StallP99Seconds)} s");
        plot.XLabel("request (arrival order)");
        plot.YLabel("stall time (s)");
        plot.Axes.Margins(bottom: 0);
        return Save(plot, path);
    }

    private static ScottPlot.Plottables.Scatter Line(Plot plot, double[] x, double[] y, string label)
    {
        var s = plot.Add.Scatter(x, y);
        s.MarkerSize = 0;
        s.LineWidth = 2;
        s.LegendText = label;
        return s;
    }

    private static string Save(Plot plot, string path)
    {
        plot.SavePng(path, Width, Height);
        return path;
    }
}
