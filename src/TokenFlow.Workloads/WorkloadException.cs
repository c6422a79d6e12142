namespace TokenFlow.Workloads;

/// <summary>
/// Bad workload input. The message is one line naming the file and the field, e.g.
/// <c>scenarios/x.json: arrivals[0].rate: must be a positive number (got -2)</c>. A <see cref="FormatException"/>,
/// so command-line guards that catch format errors print it as is.
/// </summary>
public sealed class WorkloadException(string file, string field, string problem)
    : FormatException($"{file}: {field}: {problem}")
{
    public string File { get; } = file;
    public string Field { get; } = field;
    public string Problem { get; } = problem;
}
