namespace TokenFlow.Core.Kv;

public enum PreemptMode
{
    /// <summary>Keep the KV: write its unsynced tail to the host and free the device blocks.</summary>
    Offload,
    /// <summary>Drop the KV; it is recomputed on resume.</summary>
    Recompute,
}
