using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Model;
using TokenFlow.Inference.Quantization;

namespace TokenFlow.Inference.Tests;

/// <summary><c>model synth</c>'s quantizer writes blocks that ggml's layout reads back close to the input, and its llama3 RoPE divisors equal the converter's.</summary>
public sealed unsafe class QuantizerTests
{
    [Theory]
    [InlineData(GgmlType.F16, 1e-3)]
    [InlineData(GgmlType.Q8_0, 0.01)]
    [InlineData(GgmlType.Q5_0, 0.07)] // ggml's Q4_0/Q5_0 clamp the side opposite the largest value at 7/8 and 15/16 of it
    [InlineData(GgmlType.Q4_0, 0.13)]
    [InlineData(GgmlType.Q4_K, 0.1)]
    [InlineData(GgmlType.Q6_K, 0.03)]
    public void RoundTripsWithinTheFormatsStep(GgmlType type, double relative)
    {
        var rng = new Random(11);
        var x = new float[1024];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (i / 256 + 1);
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, x.Length)];
        Quantizer.Row(type, x, bytes);
        var y = new float[x.Length];
        fixed (byte* b = bytes) fixed (float* yp = y) Dequantizer.Row(type, b, yp, x.Length);
        for (var blk = 0; blk < 4; blk++)
        {
            var max = x.Skip(blk * 256).Take(256).Max(Math.Abs);
            for (var i = blk * 256; i < (blk + 1) * 256; i++)
                Assert.True(Math.Abs(x[i] - y[i]) <= relative * max, $"{type}[{i}]: {x[i]} -> {y[i]}");
        }
    }

    [Fact]
    public void Llama3RopeFreqsEqualTheOracleFile()
    {
        using var g = GgufFile.Open(OracleFixture.Load("llama3-F32").GgufPath);
        var t = g.TensorsByName["rope_freqs.weight"];
        var want = new ReadOnlySpan<float>(g.TensorData(t), 32).ToArray();
        var got = RealShapeSynthesizer.Llama3RopeFreqs(64, 500000f, 8, 1, 4, 8192);
        for (var i = 0; i < 32; i++) Assert.Equal(want[i], got[i], 1e-6f);
    }
}
