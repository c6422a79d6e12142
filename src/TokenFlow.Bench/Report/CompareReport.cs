using ScottPlot;
using Spectre.Console;
using TokenFlow.Bench.Results;

namespace TokenFlow.Bench.Report;

/// <summary><c>tokenflow bench compare</c>: runs side by side, each with its ratio against the first, and joint plots.</summary>
public static class CompareReport
{
    /// <summary>Labels made unique (a run's label, else its file name), so columns and legends can be told apart.</summary>
    public static IReadOnlyList<BenchReport> Load(IReadOnlyList<string> paths)
    {
        if (paths.Count < 2) throw new BenchException("bench compare needs at least two result files");
        var reports = paths.Select(BenchJson.Read).ToArray();
        var seen = new HashSet<string>();
        for (var i = 0; i < reports.Length; i++)
        {
            var label = string.IsNullOrWhiteSpace(reports[i].Config.Label) ? Path.GetFileNameWithoutExtension(paths[i]) : reports[i].Config.Label;
            if (!seen.Add(label)) label = Path.GetFileNameWithoutExtension(paths[i]);
            if (!seen.Add(label) && label != reports[i].Config.Label) label = $"{label} #{i + 1}";
            seen.Add(label);
            reports[i] = reports[i] with { Config = reports[i].Config with { Label = label } };
        }
        return reports;
    }

    /// <summary>Value / the first run's value; NaN when either is missing or the base is 0.</summary>
    public static double Ratio(double value, double baseline) =>
        double.IsFinite(value) && double.IsFinite(baseline) && baseline != 0 ? value / baseline : double.NaN;

    public static void WriteTable(IAnsiConsole console, IReadOnlyList<BenchReport> reports)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("tokenflow bench compare (ratio against the first run; green is better)")
            .AddColumn("metric");
        for (var i = 0; i < reports.Count; i++)
        {
            table.AddColumn(new TableColumn(Markup.Escape(reports[i].Config.Label)).RightAligned());
            if (i > 0) table.AddColumn(new TableColumn("ratio").RightAligned());
        }
        string? section = null;
        foreach (var row in MetricRow.All)
        {
            if (row.Section != section)
            {
                table.AddRow(new[] { $"[bold]{Markup.Escape(row.Section)}[/]" }.Concat(Enumerable.Repeat("", reports.Count * 2 - 1)).ToArray());
                section = row.Section;
            }
            var baseline = row.Get(reports[0]);
            var cells = new List<string> { "  " + Markup.Escape(row.Label), Fmt.N(baseline, row.Format) };
            foreach (var r in reports.Skip(1))
            {
                var v = row.Get(r);
                cells.Add(Fmt.N(v, row.Format));
                var ratio = Ratio(v, baseline);
                var better = ratio > 1 == row.HigherIsBetter;
                cells.Add(double.IsNaN(ratio) ? "–" : Math.Abs(ratio - 1) < 0.005 ? "1.00×" : $"[{(better ? "green" : "red")}]{Fmt.N(ratio, "0.00")}×[/]");
            }
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        for (var i = 0; i < reports.Count; i++)
        {
            var c = reports[i].Config;
            console.MarkupLine($"[grey]{Markup.Escape(c.Label)}: {Markup.Escape(c.Url)}{Markup.Escape(c.Endpoint)} model {Markup.Escape(c.Model)}, {Markup.Escape(c.Scenario ?? "")} seed {c.Seed}, {reports[i].Requests.Count} requests[/]");
        }
        if (reports.Select(r => (r.Config.Scenario, r.Config.Seed, r.Requests.Count)).Distinct().Count() > 1)
            console.MarkupLine("[yellow]warning:[/] the runs used different workloads (scenario, seed or request count); ratios compare unlike runs");
    }

    /// <summary>Joint plots: TTFT CDFs, throughput over time, and the headline figures as grouped bars.</summary>
    public static IReadOnlyList<string> WritePlots(IReadOnlyList<BenchReport> reports, string dir)
    {
        Directory.CreateDirectory(dir);
        return [PlotWriter.TtftCdf(reports, Path.Combine(dir, "compare_ttft_cdf.png")),
            PlotWriter.ThroughputCompare(reports, Path.Combine(dir, "compare_throughput.png")),
            Headline(reports, Path.Combine(dir, "compare_summary.png"))];
    }

    private static string Headline(IReadOnlyList<BenchReport> reports, string path)
    {
        // Ratios against the first run, so figures of different units share one axis.
        var rows = MetricRow.All.Where(m => m.Section == "design §3" && m.Name is "effective throughput" or "token throughput" or "consumed throughput" or "TTFT mean" or "TTFT P99" or "stall mean").ToArray();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (var m = 0; m < rows.Length; m++)
        {
            var baseline = rows[m].Get(reports[0]);
            for (var i = 0; i < reports.Count; i++)
            {
                var ratio = Ratio(rows[m].Get(reports[i]), baseline);
                bars.Add(new Bar { Position = m * (reports.Count + 1) + i, Value = double.IsNaN(ratio) ? 0 : ratio, FillColor = palette.GetColor(i), LineWidth = 0 });
            }
        }
        plot.Add.Bars(bars);
        var ticks = rows.Select((r, m) => new Tick(m * (reports.Count + 1) + (reports.Count - 1) / 2.0, r.Name.Replace(' ', '\n'))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        for (var i = 0; i < reports.Count; i++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = reports[i].Config.Label, FillColor = palette.GetColor(i) });
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title($"Against {reports[0].Config.Label} (1.0 = same)");
        plot.YLabel("ratio to the first run");
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, PlotWriter.Width, PlotWriter.Height);
        return path;
    }
}
