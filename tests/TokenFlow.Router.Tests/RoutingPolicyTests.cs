using TokenFlow.Routing.Load;
using TokenFlow.Routing.Policies;
using TokenFlow.Routing.Replicas;

namespace TokenFlow.Router.Tests;

/// <summary>The routing policies on hand-made load reports (pure code, no HTTP).</summary>
public sealed class RoutingPolicyTests
{
    private static LoadReport Idle(double sumRate = 0, double capacity = 1000, int deviceFree = 1000, int waiting = 0) => new()
    {
        SumRate = sumRate, Capacity = capacity, DeviceFreeBlocks = deviceFree, DeviceTotalBlocks = 1000, HostFreeBlocks = 4000, HostTotalBlocks = 4000, Waiting = waiting,
    };

    private static ReplicaTracker[] Trackers(params LoadReport[] reports)
    {
        var t = reports.Select((r, i) => new ReplicaTracker(i, $"r{i}")).ToArray();
        for (var i = 0; i < t.Length; i++) t[i].OnReport(reports[i], 0);
        return t;
    }

    private static ReplicaView[] Views(ReplicaTracker[] t) => [.. t.Select(x => x.View())];

    [Fact]
    public void BufferAwarePrefersHeadroomThenDeviceRoomThenFewerWaiting()
    {
        var p = new BufferAwarePolicy();
        var req = new RoutingRequest(20, 512);
        Assert.Equal(1, p.Choose(Views(Trackers(Idle(sumRate: 990), Idle(sumRate: 100))), req));
        Assert.Equal(0, p.Choose(Views(Trackers(Idle(deviceFree: 900), Idle(deviceFree: 100))), req));
        Assert.Equal(1, p.Choose(Views(Trackers(Idle(waiting: 10), Idle(waiting: 0))), req));
    }

    [Fact]
    public void BufferAwareCountsWhatItSentSinceTheLastReport()
    {
        var p = new BufferAwarePolicy();
        var t = Trackers(Idle(), Idle());
        var req = new RoutingRequest(100, 64);
        var picks = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            var c = p.Choose(Views(t), req);
            picks.Add(c);
            t[c].OnDispatched(1.0, req.Rate, 4);
        }
        Assert.Equal(4, picks.Count(x => x == 0)); // between polls the router's own count spreads the streams
        t[0].OnReport(Idle(), polledAt: 2.0); // a newer report includes them: the count starts over
        Assert.Equal(0, t[0].View().SentSinceReport);
        Assert.Equal(4, t[1].View().SentSinceReport);
        Assert.Equal(4, t[0].View().Open);
    }

    [Fact]
    public void TrackerViewFollowsEveryChange()
    {
        var t = Trackers(Idle())[0];
        var before = t.View();
        Assert.Same(before, t.View()); // unchanged: the same view
        t.OnDispatched(1.0, 10, 4);
        Assert.Equal((1, 1, 4), (t.View().Open, t.View().SentSinceReport, t.View().BlocksSinceReport));
        t.OnCompleted();
        Assert.Equal(0, t.View().Open);
        t.SetHealthy(false);
        Assert.False(t.View().Healthy);
        t.OnReport(Idle(), polledAt: 2.0);
        Assert.Equal(0, t.View().SentSinceReport);
    }

    [Fact]
    public void BufferAwareRefusesOnlyWhenEveryHealthyReplicaIsSaturated()
    {
        var p = new BufferAwarePolicy(new BufferAwareOptions { SaturatedWaiting = 5 });
        var req = new RoutingRequest(20, 16);
        var t = Trackers(Idle(sumRate: 2000, waiting: 9), Idle(sumRate: 2000, waiting: 9));
        Assert.Equal(-1, p.Choose(Views(t), req));
        t = Trackers(Idle(sumRate: 2000, waiting: 9), Idle(sumRate: 2000, waiting: 1));
        Assert.Equal(1, p.Choose(Views(t), req));
        t[1].SetHealthy(false);
        Assert.Equal(-1, p.Choose(Views(t), req));
    }

    [Fact]
    public void RoundRobinAndLeastRequestsSkipUnhealthyAndExcluded()
    {
        var t = Trackers(Idle(), Idle(), Idle());
        t[1].SetHealthy(false);
        var rr = new RoundRobinPolicy();
        var picks = Enumerable.Range(0, 6).Select(_ => rr.Choose(Views(t), default)).ToArray();
        Assert.DoesNotContain(1, picks);
        Assert.Equal(3, picks.Count(x => x == 0));
        t[0].OnDispatched(0, 1, 1);
        var lr = new LeastRequestsPolicy();
        Assert.Equal(2, lr.Choose(Views(t), default));
        Assert.Equal(0, lr.Choose(Views(t), default, exclude: 2));
    }
}
