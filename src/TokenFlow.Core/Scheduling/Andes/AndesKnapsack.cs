namespace TokenFlow.Core.Scheduling;

/// <summary>One candidate of the selection: its QoE gain, its KV blocks and its rank for ties.</summary>
public readonly record struct AndesItem(double Gain, int Blocks, int Order);

/// <summary>
/// Andes's selection (§4.2): a 0/1 knapsack that maximizes Σ QoE gain under the KV capacity and the
/// batch size, solved greedily by gain per block. Ties keep the earlier order (running before
/// paused before waiting, then by arrival), so equal gains never cause a preemption.
/// </summary>
public static class AndesKnapsack
{
    /// <summary>Fills <paramref name="picked"/> with the indices of the chosen items.</summary>
    public static void Select(IReadOnlyList<AndesItem> items, long capacity, int maxItems, List<int> picked, List<int> scratch)
    {
        picked.Clear();
        scratch.Clear();
        for (var i = 0; i < items.Count; i++) scratch.Add(i);
        scratch.Sort((a, b) =>
        {
            var x = items[a].Gain / items[a].Blocks;
            var y = items[b].Gain / items[b].Blocks;
            return x != y ? y.CompareTo(x) : items[a].Order.CompareTo(items[b].Order);
        });
        var used = 0L;
        foreach (var i in scratch)
        {
            if (picked.Count >= maxItems) break;
            if (used + items[i].Blocks > capacity) continue; // the next densest that still fits
            used += items[i].Blocks;
            picked.Add(i);
        }
    }
}
