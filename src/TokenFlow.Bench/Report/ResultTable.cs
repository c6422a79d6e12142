using Spectre.Console;
using TokenFlow.Bench.Results;

namespace TokenFlow.Bench.Report;

/// <summary>The end-of-run table: design §3 figures, vLLM's, the bench's overhead, and errors per kind.</summary>
public static class ResultTable
{
    public static void Write(IAnsiConsole console, BenchReport report)
    {
        var c = report.Config;
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"tokenflow bench: {Markup.Escape(c.Label)} ({Markup.Escape(c.Scenario ?? "")}, seed {c.Seed})")
            .AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        string? section = null;
        foreach (var row in MetricRow.All)
        {
            if (row.Name == "request goodput" && report.Vllm.RequestGoodput is null) continue;
            if (row.Section != section)
            {
                if (section is not null) table.AddEmptyRow();
                table.AddRow($"[bold]{Markup.Escape(row.Section)}[/]", "");
                section = row.Section;
            }
            table.AddRow("  " + Markup.Escape(row.Label), Fmt.N(row.Get(report), row.Format));
            if (row.Name == "failed")
                foreach (var (kind, count) in report.Errors)
                    table.AddRow($"    [red]{Markup.Escape(kind)}[/]", count.ToString());
        }
        console.Write(table);
        if (c.Goodput is not null) console.MarkupLine($"goodput SLO: {Markup.Escape(c.Goodput)}");
        foreach (var w in report.Warnings) console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
        var firstError = report.Requests.FirstOrDefault(r => r.ErrorMessage is not null && r.Error != "cancelled");
        if (firstError is not null) console.MarkupLine($"[red]first error[/] ({Markup.Escape(firstError.Id)}, {Markup.Escape(firstError.Error!)}): {Markup.Escape(firstError.ErrorMessage!)}");
    }
}
