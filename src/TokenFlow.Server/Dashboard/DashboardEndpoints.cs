using System.Buffers;
using System.Reflection;
using System.Text.Json;
using TokenFlow.Core.Requests;
using TokenFlow.Server.Api;

namespace TokenFlow.Server.Dashboard;

/// <summary>
/// GET / serves the live page (embedded; no external assets). GET /dashboard/events pushes the
/// engine snapshot as server-sent events every <see cref="ServerOptions.DashboardInterval"/> seconds.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("TokenFlow.Server.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("dashboard.html is not embedded");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    });

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapGet("/", () => Results.Bytes(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/dashboard/events", (HttpContext http) => EventsAsync(http, state));
        app.MapGet("/dashboard/state", () => Results.Json(Build(state), ApiJson.Options));
    }

    private static async Task EventsAsync(HttpContext http, ServerState state)
    {
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        var ct = http.RequestAborted;
        var interval = TimeSpan.FromSeconds(Math.Clamp(state.Options.DashboardInterval, 0.05, 10));
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(Build(state), ApiJson.Options);
                http.Response.BodyWriter.Write("data: "u8);
                http.Response.BodyWriter.Write(json);
                http.Response.BodyWriter.Write("\n\n"u8);
                var r = await http.Response.BodyWriter.FlushAsync(ct);
                if (r.IsCompleted || r.IsCanceled) return;
            } while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) { }
    }

    public static DashboardState Build(ServerState state)
    {
        var s = state.Runner.Engine.Snapshot;
        var now = state.Runner.Clock.Now;
        // Most urgent first (least slack), capped; the page shows how many more there are.
        var cap = Math.Max(1, state.Options.DashboardMaxStreams);
        var streams = s.Streams.OrderBy(x => Finite(x.Slack)).ThenBy(x => x.ArrivalTime).Take(cap).Select(x => new DashboardStream(
            x.Id.Length > 14 ? x.Id[^8..] : x.Id,
            Kind(x.State), x.State.ToString(), x.Generated, x.Buffer, Finite(Math.Round(x.Slack, 3)), Finite(Math.Round(x.Rate, 2)), Math.Round(Math.Max(0, s.Time - x.ArrivalTime), 2))).ToList();
        return new DashboardState(
            state.ModelName, state.Options.Policy, Math.Round(now, 3), s.Streams.Count, s.Waiting, s.Running, s.Paused,
            s.DeviceBlocksUsed, s.DeviceBlocksTotal, s.HostBlocksUsed, s.HostBlocksTotal,
            s.GeneratedTokens, s.SwapPreemptions, s.RecomputePreemptions, streams, s.Streams.Count - streams.Count, state.History.Recent(now, 180));
    }

    /// <summary>JSON has no ∞ or NaN; the request's rate range keeps them out, and this keeps a bug from turning into a 500.</summary>
    private static double Finite(double x) => double.IsFinite(x) ? x : 0;

    private static string Kind(RequestState st) => st switch
    {
        RequestState.Waiting => "waiting",
        RequestState.Prefilling or RequestState.Running => "running",
        RequestState.PausedOnHost or RequestState.Offloading or RequestState.Loading => "paused-host",
        RequestState.PausedDropped => "paused-dropped",
        _ => "done",
    };
}

public sealed record DashboardState(
    string Model, string Policy, double Time, int Streams, int Waiting, int Running, int Paused,
    int DeviceUsed, int DeviceTotal, int HostUsed, int HostTotal, long GeneratedTokens, long SwapPreemptions, long RecomputePreemptions,
    IReadOnlyList<DashboardStream> Active, int Hidden, IReadOnlyList<HistoryPoint> History);

public sealed record DashboardStream(string Id, string Kind, string State, int Generated, int Buffer, double Slack, double Rate, double Age);
