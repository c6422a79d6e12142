using TokenFlow.Core.Scheduling;

namespace TokenFlow.Core.Tests;

/// <summary>The buffer balancer alone: no engine, no KV cache.</summary>
public sealed class BufferBalancerTests
{
    private static BalanceMember M(int id, double utility, int size, bool forced = false, bool resident = false, double arrival = 0) =>
        new(id, utility, size, forced, resident, 0, arrival);

    [Fact]
    public void Members_are_taken_forced_first_then_by_utility_then_by_arrival()
    {
        BalanceMember[] members = [M(0, 1, 1), M(1, 5, 1), M(2, 3, 1, forced: true, resident: true), M(3, 5, 1, arrival: -1)];
        var chosen = new bool[4];
        BufferBalancer.Select(members, chosen, budget: 100, maxSeqs: 2, localSearch: false);
        Assert.Equal([2, 3, 1, 0], members.Select(m => m.Id));
        Assert.Equal([true, true, false, false], chosen);
    }

    [Fact]
    public void Local_search_swaps_a_pair_across_the_cut_when_that_raises_the_chosen_utility()
    {
        // Greedy takes A (utility 10, 8 blocks) and nothing else fits; B + C (9 + 8, 5 blocks each) are worth more.
        BalanceMember[] Members() => [M(0, 10, 8), M(1, 9, 5), M(2, 8, 5)];
        var greedy = Members();
        var chosenGreedy = new bool[3];
        BufferBalancer.Select(greedy, chosenGreedy, budget: 10, maxSeqs: 8, localSearch: false);
        Assert.Equal([true, false, false], chosenGreedy);

        var searched = Members();
        var chosen = new bool[3];
        var used = BufferBalancer.Select(searched, chosen, budget: 10, maxSeqs: 8, localSearch: true);
        Assert.Equal([false, true, true], chosen);
        Assert.Equal(10, used);
    }

    [Fact]
    public void Local_search_keeps_the_greedy_choice_when_a_swap_loses_utility()
    {
        BalanceMember[] members = [M(0, 10, 8), M(1, 2, 5), M(2, 1, 5)];
        var chosen = new bool[3];
        BufferBalancer.Select(members, chosen, budget: 10, maxSeqs: 8, localSearch: true);
        Assert.Equal([true, false, false], chosen);
    }

    [Fact]
    public void The_chosen_set_never_exceeds_memory_or_the_sequence_limit_beyond_forced_members()
    {
        var rng = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = rng.Next(1, 40);
            var members = Enumerable.Range(0, n).Select(i =>
                M(i, rng.NextDouble() * 20 - 5, rng.Next(1, 30), forced: rng.NextDouble() < 0.1, resident: rng.NextDouble() < 0.5)).ToArray();
            var budget = rng.Next(0, 300);
            var maxSeqs = rng.Next(1, 20);
            var chosen = new bool[n];
            var used = BufferBalancer.Select(members, chosen, budget, maxSeqs, localSearch: true);
            var forcedSize = members.Where(m => m.Forced).Sum(m => m.Size);
            var forcedCount = members.Count(m => m.Forced);
            Assert.Equal(Enumerable.Range(0, n).Where(i => chosen[i]).Sum(i => members[i].Size), used);
            Assert.True(used <= Math.Max(budget, forcedSize), $"trial {trial}: used {used} of {budget}");
            Assert.True(chosen.Count(c => c) <= Math.Max(maxSeqs, forcedCount), $"trial {trial}: too many sequences");
            Assert.All(members.Where(m => m.Forced), m => Assert.True(chosen[Array.IndexOf(members, m)]));
        }
    }
}
