namespace TokenFlow.Core.Scheduling;

/// <summary>One working-set member as the balancer sees it: its utility for the next interval and its device footprint.</summary>
/// <param name="Id">The caller's index for the member; the balancer never reads it.</param>
/// <param name="Forced">Must stay on the device (a resident that is buffer-critical or cannot cover a switch).</param>
/// <param name="Resident">Already on the device (it may be kept even at zero utility).</param>
public readonly record struct BalanceMember(int Id, double Utility, int Size, bool Forced, bool Resident, int Priority = 0, double Arrival = 0);

/// <summary>
/// Buffer balancing (design §4, step 2) as a pure function: sorts the members (forced first, then
/// by utility, then by priority and arrival), takes them into the device set while they fit in
/// <c>budget</c> blocks and <c>maxSeqs</c> sequences, makes one local-search pass over adjacent pairs
/// across the cut (swap when it raises the chosen set's utility within memory), and lets leftover
/// memory take further members so that pausing never idles the device.
/// </summary>
public static class BufferBalancer
{
    /// <summary>Sorts <paramref name="members"/> in place and marks the chosen ones in <paramref name="chosen"/> (same order). Returns the blocks used.</summary>
    public static int Select(Span<BalanceMember> members, Span<bool> chosen, int budget, int maxSeqs, bool localSearch)
    {
        if (chosen.Length < members.Length) throw new ArgumentException("one flag per member", nameof(chosen));
        members.Sort(Compare);
        chosen = chosen[..members.Length];
        chosen.Clear();
        var used = Fill(members, chosen, budget, maxSeqs);
        if (localSearch) LocalSearch(members, chosen, budget, maxSeqs, ref used);
        return used;
    }

    /// <summary>Forced first, then utility descending; vLLM's priority, then arrival, break ties.</summary>
    public static int Compare(BalanceMember a, BalanceMember b)
    {
        var c = b.Forced.CompareTo(a.Forced);
        if (c != 0) return c;
        c = b.Utility.CompareTo(a.Utility);
        if (c != 0) return c;
        c = a.Priority.CompareTo(b.Priority);
        return c != 0 ? c : a.Arrival.CompareTo(b.Arrival);
    }

    private static bool Wanted(in BalanceMember m) => m.Resident || m.Utility > 0;

    private static int Fill(ReadOnlySpan<BalanceMember> members, Span<bool> chosen, int budget, int maxSeqs)
    {
        var used = 0;
        var count = 0;
        for (var i = 0; i < members.Length; i++)
        {
            var m = members[i];
            if (m.Forced || (count < maxSeqs && used + m.Size <= budget && Wanted(m)))
            {
                chosen[i] = true;
                used += m.Size;
                count++;
            }
        }
        // Leftover memory is not left idle: members that still fit come back too.
        for (var i = 0; i < members.Length && count < maxSeqs; i++)
        {
            if (chosen[i] || used + members[i].Size > budget) continue;
            chosen[i] = true;
            used += members[i].Size;
            count++;
        }
        return used;
    }

    /// <summary>One pass over adjacent pairs across the cut: swap when it raises the chosen set's utility within memory.</summary>
    private static void LocalSearch(ReadOnlySpan<BalanceMember> members, Span<bool> chosen, int budget, int maxSeqs, ref int used)
    {
        var count = 0;
        foreach (var c in chosen) if (c) count++;
        for (var i = 0; i + 1 < members.Length; i++)
        {
            if (!chosen[i] || chosen[i + 1] || members[i].Forced) continue;
            var a = members[i];
            var b = members[i + 1];
            if (!Wanted(b)) continue;
            var newUsed = used - a.Size + b.Size;
            if (newUsed > budget) continue;
            // With a's blocks freed, later members may fit too: count what a refill would add.
            var gain = b.Utility - a.Utility;
            var extra = 0;
            var extraCount = 0;
            for (var j = i + 2; j < members.Length && count + extraCount < maxSeqs; j++)
            {
                var m = members[j];
                if (chosen[j] || !Wanted(m) || newUsed + extra + m.Size > budget) continue;
                gain += m.Utility;
                extra += m.Size;
                extraCount++;
            }
            if (gain <= 0) continue;
            chosen[i] = false;
            chosen[i + 1] = true;
            used = newUsed;
            for (var j = i + 2; j < members.Length && count < maxSeqs; j++)
            {
                var m = members[j];
                if (chosen[j] || !Wanted(m) || used + m.Size > budget) continue;
                chosen[j] = true;
                used += m.Size;
                count++;
            }
        }
    }
}
