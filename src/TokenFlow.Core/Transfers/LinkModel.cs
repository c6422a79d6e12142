namespace TokenFlow.Core.Transfers;

/// <summary>
/// Cost of one copy over a host link: a fixed per-transfer overhead, a per-block overhead (small
/// scattered copies run far below peak), then bytes at the link's bandwidth.
/// </summary>
public sealed record LinkModel(double BytesPerSecond, double PerTransferSeconds = 10e-6, double PerBlockSeconds = 2e-6)
{
    public double Duration(long bytes, int blocks) => PerTransferSeconds + PerBlockSeconds * blocks + bytes / BytesPerSecond;
}
