using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Xunit.Abstractions;

namespace TokenFlow.Concurrency.Tests;

/// <summary>Runs one Coyote systematic test and fails with the first bug's report and its reproducible trace.</summary>
internal static class Coyote
{
    /// <summary>Iterations per test: at least 1,000 in CI; TOKENFLOW_COYOTE_ITERATIONS raises it for a longer hunt.</summary>
    public static uint Iterations =>
        uint.TryParse(Environment.GetEnvironmentVariable("TOKENFLOW_COYOTE_ITERATIONS"), out var n) && n >= 1000 ? n : 1000;

    public static void Run(Action test, ITestOutputHelper output, uint maxSteps = 5000)
    {
        var config = Configuration.Create()
            .WithTestingIterations(Iterations)
            .WithMaxSchedulingSteps(maxSteps)
            .WithPartiallyControlledConcurrencyAllowed(false)
            .WithPotentialDeadlocksReportedAsBugs(true)
            .WithRandomGeneratorSeed(20261201);
        using var engine = TestingEngine.Create(config, test);
        engine.Run();
        var report = engine.TestReport;
        output.WriteLine($"Coyote: {report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths} schedules, {report.NumOfFoundBugs} bugs, " +
            $"max steps {report.MaxExploredFairSteps}, uncontrolled: {string.Join(", ", report.UncontrolledInvocations)}");
        if (report.NumOfFoundBugs > 0)
            Assert.Fail($"Coyote found a bug: {string.Join("\n", report.BugReports)}\nTrace:\n{engine.ReproducibleTrace}");
        Assert.Equal(Iterations, (uint)(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths));
    }
}
