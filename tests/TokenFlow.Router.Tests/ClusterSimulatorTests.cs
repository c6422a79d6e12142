using TokenFlow.Simulation;
using TokenFlow.Simulation.Cluster;
using TokenFlow.Workloads;

namespace TokenFlow.Router.Tests;

/// <summary>The cluster simulator: every request served, KV clean, and the policies spread load as they should.</summary>
public sealed class ClusterSimulatorTests
{
    private static IReadOnlyList<PlannedRequest> Plan(int n) =>
        [.. Enumerable.Range(0, n).Select(i => new PlannedRequest($"r{i}", i * 0.05, 128, 64, 20))];

    [Theory]
    [InlineData("round-robin")]
    [InlineData("least-requests")]
    [InlineData("buffer-aware")]
    public void EveryRequestCompletesAndKvReturnsToFull(string router)
    {
        var config = new ClusterConfig
        {
            Replica = new SimulationConfig { Hardware = HardwareProfiles.Get("h200"), Model = ModelProfiles.Get("llama3-8b"), Policy = "tokenflow", KvMemFraction = 0.3 },
            Replicas = 4,
            Router = router,
        };
        var r = ClusterSimulator.Run(config, Plan(200));
        Assert.Equal(200, r.Summary.CompletedRequests);
        Assert.Equal(0, r.Rejected);
        Assert.True(r.KvReturnedToFull);
        Assert.Equal(200, r.PerReplica.Sum());
        Assert.All(r.PerReplica, c => Assert.True(c > 0));
        if (router == "round-robin") Assert.All(r.PerReplica, c => Assert.Equal(50, c));
    }
}
