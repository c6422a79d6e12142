namespace TokenFlow.Server;

/// <summary>How a graceful shutdown went: streams that ended on their own, streams aborted at the timeout, blocks left.</summary>
public sealed record ShutdownReport(int StreamsAtStart, int Drained, int Aborted, double Seconds, int DeviceBlocksInUse, int HostBlocksInUse)
{
    public bool Clean => DeviceBlocksInUse == 0 && HostBlocksInUse == 0;
}
