using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Model;
using TokenFlow.Inference.Quantization;

namespace TokenFlow.Inference.Tests;

/// <summary>
/// The integer kernels on every quantized type of the oracle files: the AVX-512, AVX2 and scalar
/// paths agree to the bit, and the integer product matches the float product of the dequantized row
/// with the unquantized activations up to the activation rounding.
/// </summary>
[Collection(nameof(QuantKernelTests))] // switches the process-wide kernel path
public sealed unsafe class QuantKernelTests
{
    public static TheoryData<string> Types => new(["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]);

    private static (GgufFile File, GgufTensorInfo Tensor) Find(string type)
    {
        foreach (var name in OracleFixture.Names())
        {
            var g = GgufFile.Open(OracleFixture.Load(name).GgufPath);
            var t = g.Tensors.FirstOrDefault(t => GgmlTypeInfo.Name(t.Type) == type && t.Dims.Length == 2);
            if (t is not null) return (g, t);
            g.Dispose();
        }
        throw new InvalidOperationException($"no oracle tensor of type {type}");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void PathsAgreeToTheBitAndMatchTheFloatProduct(string type)
    {
        var (g, t) = Find(type);
        using var _ = g;
        var cols = (int)t.Dims[0];
        var rows = (int)Math.Min(64, t.Dims[1]);
        var w = new WeightMatrix(t.Name, t.Type, g.TensorData(t), rows, cols);
        const int batch = 5;
        var rng = new Random(3);
        var x = new float[batch * cols];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 3 : 1);
        using var act = new QuantizedActivations();
        using var decoded = new DecodedRow(cols);
        var results = new Dictionary<QuantDot.Path, float[]>();
        var saved = QuantDot.Current;
        try
        {
            foreach (var path in Enum.GetValues<QuantDot.Path>().Where(p => p <= QuantDot.Best))
            {
                QuantDot.Current = path;
                var y = new float[batch * rows];
                fixed (float* xp = x, yp = y)
                {
                    act.Quantize(xp, batch, cols, legacy: true, k: true);
                    QuantGemm.Run(w, act, batch, yp, rows, 0, rows, decoded);
                }
                results[path] = y;
            }
        }
        finally { QuantDot.Current = saved; }
        // One activation row takes the decode path (Q8_0 straight from its blocks on AVX-512): the same bits as row 0 of the batch.
        var single = new float[rows];
        fixed (float* xp = x, yp = single)
        {
            act.Quantize(xp, 1, cols, legacy: true, k: true);
            QuantGemm.Run(w, act, 1, yp, rows, 0, rows, decoded);
        }
        Assert.True(single.SequenceEqual(results[QuantDot.Best].Take(rows)), $"{type}: batch-1 path differs");
        Assert.True(results.Count >= 1);
        var reference = results[QuantDot.Path.Scalar];
        foreach (var (path, y) in results) Assert.True(reference.SequenceEqual(y), $"{type}: {path} differs from scalar");

        var row = new float[cols];
        for (var n = 0; n < rows; n++)
        {
            w.DequantizeRow(n, row);
            for (var b = 0; b < batch; b++)
            {
                double exact = 0, scale = 0;
                for (var i = 0; i < cols; i++) { exact += row[i] * x[b * cols + i]; scale += Math.Abs(row[i] * x[b * cols + i]); }
                // Q8 activations carry ≤ 0.5/127 of each block's largest value: a small fraction of Σ|w·x|.
                Assert.True(Math.Abs(reference[b * rows + n] - exact) <= 0.02 * scale + 1e-6, $"{type} row {n} batch {b}: {reference[b * rows + n]} vs {exact}");
            }
        }
    }

    [Fact]
    public void BestPathFollowsTheCpu()
    {
        var expected = System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? QuantDot.Path.Avx512
            : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? QuantDot.Path.Avx2 : QuantDot.Path.Scalar;
        Assert.Equal(expected, QuantDot.Best);
    }
}
