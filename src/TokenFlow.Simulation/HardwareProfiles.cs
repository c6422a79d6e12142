using TokenFlow.Core.Transfers;

namespace TokenFlow.Simulation;

/// <summary>
/// The GPUs of design §7. Peaks are vendor datasheet figures; the efficiencies are calibrated as the
/// comments say. Link models: bytes at the achieved PCIe bandwidth plus a per-transfer overhead and a
/// per-block overhead, because paged KV blocks are scattered and copied segment by segment.
/// </summary>
public static class HardwareProfiles
{
    private const double GB = 1e9;
    private const double GiB = 1024.0 * 1024 * 1024;
    private const double TB = 1e12;

    // Per-transfer cost: one cudaMemcpyAsync/kernel launch plus the completion event, ~10–20 µs
    // (NVIDIA CUDA C++ Best Practices Guide, "Data Transfer Between Host and Device": small transfers
    // are dominated by fixed overhead). Per block: a 16-token block is 2·layers contiguous segments;
    // we charge ~20 µs per block, which puts an 8B-model block (2 MiB) at ~80% of link peak and
    // single-block copies far below it, as design §7 asks.
    private const double PerTransfer = 15e-6;
    private const double PerBlock = 20e-6;

    // PCIe achieved bandwidths per direction, design §7 table: Gen4 x16 ~25–26 GB/s of 32 GB/s raw,
    // Gen5 x16 ~51–55 GB/s of 64 GB/s raw (pinned-memory bandwidthTest figures).
    private static LinkModel Pcie(double gbPerSecond) => new(gbPerSecond * GB, PerTransfer, PerBlock);

    /// <summary>
    /// A100 SXM 80 GB: 2.0 TB/s HBM2e, 312 TFLOP/s bf16 dense (NVIDIA A100 datasheet).
    /// Calibrated to Vidur's shipped A100 profile (microsoft/vidur, data/profiling/compute/a100/
    /// meta-llama/Meta-Llama-3-8B/mlp.csv): one Llama-3-8B layer's token-level work (QKV/O
    /// projections, MLP, norms) takes ~0.30 ms at 1 token, 0.41 ms at 128, 1.08 ms at 512 and 4.55 ms
    /// at 2,048. 436 MB of layer weights in 0.30 ms gives MBU ≈ 0.75; 2,048 tokens × 0.87 GFLOP in
    /// 4.55 ms gives MFU ≈ 0.63–0.65. The fixed overhead is vLLM-with-CUDA-graphs scale (~1 ms/iter).
    /// </summary>
    public static HardwareProfile A100 { get; } = new()
    {
        Name = "a100",
        MemoryBytes = 80 * GiB,
        MemoryBandwidth = 2.0 * TB,
        PeakFlops = 312 * TB,
        Mfu = 0.65,
        Mbu = 0.75,
        FixedSeconds = 1.0e-3,
        ToDevice = Pcie(26),
        ToHost = Pcie(26),
        HostKvBytes = 512 * GiB,
    };

    /// <summary>
    /// H100 SXM 80 GB: 3.35 TB/s HBM3, 989 TFLOP/s bf16 dense (NVIDIA H100 datasheet). Hopper GEMMs
    /// reach ~60–70% of dense peak in cuBLAS (NVIDIA's published H100 GEMM benchmarks), and decode
    /// kernels ~75–80% of HBM bandwidth; we keep the A100-calibrated MBU and use MFU 0.6.
    /// PCIe 5 ×16, ~51 GB/s achieved (design §7).
    /// </summary>
    public static HardwareProfile H100 { get; } = new()
    {
        Name = "h100",
        MemoryBytes = 80 * GiB,
        MemoryBandwidth = 3.35 * TB,
        PeakFlops = 989 * TB,
        Mfu = 0.6,
        Mbu = 0.75,
        FixedSeconds = 0.8e-3,
        ToDevice = Pcie(51),
        ToHost = Pcie(51),
        HostKvBytes = 1024 * GiB,
    };

    /// <summary>
    /// H200 SXM 141 GB: 4.8 TB/s HBM3e, 989 TFLOP/s bf16 dense (NVIDIA H200 datasheet); same SM as
    /// H100, so the same MFU. PCIe 5 ×16, ~55 GB/s achieved (design §7).
    /// </summary>
    public static HardwareProfile H200 { get; } = new()
    {
        Name = "h200",
        MemoryBytes = 141 * GB,
        MemoryBandwidth = 4.8 * TB,
        PeakFlops = 989 * TB,
        Mfu = 0.6,
        Mbu = 0.75,
        FixedSeconds = 0.8e-3,
        ToDevice = Pcie(55),
        ToHost = Pcie(55),
        HostKvBytes = 1024 * GiB,
    };

    /// <summary>
    /// RTX A6000 48 GB: 768 GB/s GDDR6, ~155 TFLOP/s bf16 dense with fp32 accumulate (NVIDIA Ampere
    /// GA102 whitepaper). PCIe 4 ×16, ~25 GB/s achieved (design §7). Workstation host RAM.
    /// </summary>
    public static HardwareProfile A6000 { get; } = new()
    {
        Name = "a6000",
        MemoryBytes = 48 * GiB,
        MemoryBandwidth = 0.768 * TB,
        PeakFlops = 155 * TB,
        Mfu = 0.6,
        Mbu = 0.8,
        FixedSeconds = 1.5e-3,
        ToDevice = Pcie(25),
        ToHost = Pcie(25),
        HostKvBytes = 128 * GiB,
    };

    /// <summary>
    /// RTX 4090 24 GB: 1.008 TB/s GDDR6X; ~165 TFLOP/s bf16 tensor dense (NVIDIA Ada whitepaper), of
    /// which PyTorch's fp32-accumulate GEMMs reach about half (~83, design §7), hence MFU 0.5. MBU
    /// 0.85: llama.cpp measures ~65 tok/s for Llama-8B BF16 at batch 1 on a 4090 (ggml-org/llama.cpp
    /// PR #15131), i.e. near the 15 GB weight-read floor. PCIe 4 ×16, ~25 GB/s achieved.
    /// </summary>
    public static HardwareProfile Rtx4090 { get; } = new()
    {
        Name = "rtx4090",
        MemoryBytes = 24 * GiB,
        MemoryBandwidth = 1.008 * TB,
        PeakFlops = 165 * TB,
        Mfu = 0.5,
        Mbu = 0.85,
        FixedSeconds = 1.5e-3,
        ToDevice = Pcie(25),
        ToHost = Pcie(25),
        HostKvBytes = 128 * GiB,
    };

    public static IReadOnlyList<HardwareProfile> All { get; } = [H200, H100, A100, A6000, Rtx4090];

    public static IReadOnlyList<string> Names { get; } = All.Select(h => h.Name).ToArray();

    /// <summary>Finds a profile by name (case-insensitive; "rtx-4090" and "4090" also work).</summary>
    public static HardwareProfile Get(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace("-", "").Replace("_", "");
        if (key == "4090") key = "rtx4090";
        return All.FirstOrDefault(h => h.Name == key)
            ?? throw new ArgumentException($"unknown hardware '{name}' (expected one of: {string.Join(", ", Names)})");
    }
}
