namespace TokenFlow.Bench.Client;

/// <summary>One server-sent event's data, stamped with the time (bench seconds) its last byte was read.</summary>
public readonly record struct SseEvent(double Time, ReadOnlyMemory<byte> Data);
