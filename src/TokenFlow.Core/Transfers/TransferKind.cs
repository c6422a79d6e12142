namespace TokenFlow.Core.Transfers;

/// <summary>What a copy is for. Lower values are served first on a shared link.</summary>
public enum TransferKind
{
    /// <summary>Host→device: a paused stream coming back.</summary>
    Load = 0,
    /// <summary>Device→host: the unsynced tail of a preempted stream.</summary>
    Offload = 1,
    /// <summary>Device→host: background copy of full blocks of running streams.</summary>
    WriteThrough = 2,
}

public static class TransferKindExtensions
{
    public static bool IsToHost(this TransferKind k) => k != TransferKind.Load;
}
