using TokenFlow.Bench.Client;
using TokenFlow.Bench.Results;
using TokenFlow.Bench.Workload;

namespace TokenFlow.Bench;

/// <summary>
/// Issues the planned requests at their arrival times (optionally under a concurrency cap) and collects
/// their records. One task per request; the dispatcher only sleeps until the next arrival.
/// </summary>
public sealed class BenchRunner(RequestSender sender, BenchClock clock, int? maxConcurrency)
{
    private int _inFlight, _peak;

    public int PeakConcurrentStreams => Volatile.Read(ref _peak);
    /// <summary>Seconds each request's task started after its planned arrival (the dispatcher's own delay).</summary>
    public double[] DispatchLags { get; private set; } = [];

    public async Task<BenchRequestRecord[]> RunAsync(IReadOnlyList<BenchRequestSpec> specs, CancellationToken ct)
    {
        var gate = maxConcurrency is { } m ? new SemaphoreSlim(m, m) : null;
        var tasks = new Task<BenchRequestRecord>[specs.Count];
        var lags = new double[specs.Count];
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var wait = spec.ArrivalTime - clock.Now;
            if (wait > 0 && !ct.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(wait), ct); }
                catch (OperationCanceledException) { }
            }
            lags[i] = Math.Max(0, clock.Now - spec.ArrivalTime);
            tasks[i] = ct.IsCancellationRequested ? Task.FromResult(Cancelled(spec)) : RunOneAsync(spec, gate, ct);
        }
        var records = await Task.WhenAll(tasks);
        DispatchLags = lags;
        return records;
    }

    private async Task<BenchRequestRecord> RunOneAsync(BenchRequestSpec spec, SemaphoreSlim? gate, CancellationToken ct)
    {
        await Task.Yield(); // the dispatcher moves on to the next arrival at once
        if (gate is not null)
        {
            try { await gate.WaitAsync(ct); }
            catch (OperationCanceledException) { return Cancelled(spec); }
        }
        var now = Interlocked.Increment(ref _inFlight);
        for (var peak = Volatile.Read(ref _peak); now > peak; peak = Volatile.Read(ref _peak))
            if (Interlocked.CompareExchange(ref _peak, now, peak) == peak) break;
        try { return await sender.SendAsync(spec, ct); }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            gate?.Release();
        }
    }

    private BenchRequestRecord Cancelled(BenchRequestSpec spec) => new()
    {
        Id = spec.Id,
        PlannedArrival = spec.ArrivalTime,
        SentAt = spec.ArrivalTime,
        EndAt = clock.Now,
        Rate = spec.Rate,
        PromptLength = spec.PromptLength,
        OutputLength = spec.OutputLength,
        Completed = false,
        Error = ErrorKinds.Cancelled,
        ErrorMessage = "not sent: the run was cancelled",
    };
}
