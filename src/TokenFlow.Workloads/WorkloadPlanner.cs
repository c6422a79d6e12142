namespace TokenFlow.Workloads;

/// <summary>Turns a <see cref="Scenario"/> into a sorted list of <see cref="PlannedRequest"/>s, deterministically per seed.</summary>
public static class WorkloadPlanner
{
    public static IReadOnlyList<PlannedRequest> Plan(Scenario scenario, int seed)
    {
        // Each arrival process gets its own stream, and request shapes a separate one, so adding a
        // phase does not reshuffle the others' times.
        var events = new List<(ArrivalEvent Event, int Phase, int Index)>();
        for (var p = 0; p < scenario.Arrivals.Count; p++)
        {
            var rng = new Random(Mix(seed, p + 1));
            var i = 0;
            foreach (var e in scenario.Arrivals[p].Generate(rng)) events.Add((e, p, i++));
        }
        events.Sort((a, b) =>
        {
            var c = a.Event.Time.CompareTo(b.Event.Time);
            if (c != 0) return c;
            c = a.Phase.CompareTo(b.Phase);
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        });
        var shapes = new Random(Mix(seed, 0));
        var width = Math.Max(4, events.Count.ToString().Length);
        var plan = new PlannedRequest[events.Count];
        for (var k = 0; k < events.Count; k++)
        {
            var e = events[k].Event;
            // Always draw all three so a trace that fixes some fields keeps the stream aligned.
            var prompt = scenario.PromptLength.Sample(shapes);
            var output = scenario.OutputLength.Sample(shapes);
            var rate = scenario.Rate.Sample(shapes);
            plan[k] = new PlannedRequest($"req-{k.ToString().PadLeft(width, '0')}", e.Time, e.PromptLength ?? prompt, e.OutputLength ?? output, e.Rate ?? rate);
        }
        return plan;
    }

    private static int Mix(int seed, int stream)
    {
        unchecked
        {
            var h = (uint)seed * 0x9E3779B1u ^ (uint)stream * 0x85EBCA77u;
            h ^= h >> 15; h *= 0x2C1B3C6Du; h ^= h >> 12;
            return (int)(h & 0x7FFFFFFF);
        }
    }
}
