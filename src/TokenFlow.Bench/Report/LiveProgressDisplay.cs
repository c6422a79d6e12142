using Spectre.Console;

namespace TokenFlow.Bench.Report;

/// <summary>The live view while a run goes (terminal only): sent, streaming, done, errors, live TTFT and reader buffers.</summary>
public sealed class LiveProgressDisplay(IAnsiConsole console, TimeSpan? refresh = null) : IBenchObserver
{
    public async Task WatchAsync(BenchProgress progress, BenchClock clock, Task run, CancellationToken ct)
    {
        var period = refresh ?? TimeSpan.FromMilliseconds(250);
        await console.Live(Render(progress, clock)).AutoClear(false).StartAsync(async ctx =>
        {
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(period, CancellationToken.None));
                ctx.UpdateTarget(Render(progress, clock));
                ctx.Refresh();
            }
        });
    }

    private static Table Render(BenchProgress p, BenchClock clock)
    {
        var now = clock.Now;
        var (mean, p50, last) = p.TtftSnapshot();
        var (buffered, starving) = p.ReaderSnapshot(now);
        var errors = p.Errors.Count == 0 ? "0" : $"[red]{p.Failed}[/] ({Markup.Escape(string.Join(", ", p.Errors.Select(e => $"{e.Key} {e.Value}")))})";
        var t = new Table().Border(TableBorder.Rounded).Title($"tokenflow bench [grey]{Fmt.N(now, "0.0")} s[/]")
            .AddColumn("sent").AddColumn("streaming").AddColumn("done").AddColumn("errors").AddColumn("TTFT last / P50 / mean")
            .AddColumn("tokens").AddColumn("buffered").AddColumn("starving readers");
        t.AddRow($"{p.Sent}/{p.Planned}", p.Streaming.ToString(), p.Done.ToString(), errors,
            $"{Fmt.N(last, "0.000")} / {Fmt.N(p50, "0.000")} / {Fmt.N(mean, "0.000")} s", p.Tokens.ToString(), buffered.ToString(), starving.ToString());
        return t;
    }
}
