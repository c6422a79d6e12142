namespace TokenFlow.Inference.Quantization;

/// <summary>Which integer kernel path this CPU runs (for <c>model info</c> and benchmarks).</summary>
public static class QuantKernels
{
    public static string Path => QuantDot.Best switch
    {
        QuantDot.Path.Avx512 => "AVX-512BW",
        QuantDot.Path.Avx2 => System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "AVX2 + AVX-VNNI" : "AVX2",
        _ => "scalar",
    };
}
