namespace TokenFlow.Core.Kv;

public enum KvTier { Device, Host }
