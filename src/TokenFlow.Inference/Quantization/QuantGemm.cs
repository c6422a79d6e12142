using System.Runtime.CompilerServices;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Quantization;

/// <summary>
/// Y[t, n] = W[n, ·] · X[t, ·] on quantized weights: each weight row is read from the mapping and
/// decoded once per pass (<see cref="DecodedRow"/>), then multiplied with every activation row's
/// quantized form, so the weights stream once per iteration whatever the batch size.
/// </summary>
internal static unsafe class QuantGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(WeightMatrix w, QuantizedActivations x, int rows, float* y, int ldy, int n0, int n1, DecodedRow scratch)
    {
        var isK = GgmlTypeInfo.BlockSize(w.Type) == GgmlTypeInfo.QK_K;
        if (rows == 1 && w.Type == GgmlType.Q8_0 && QuantDot.Current == QuantDot.Path.Avx512)
        {
            // Decode (B=1): nothing to reuse a decoded row for, so widen the int8 blocks in registers instead.
            for (var n = n0; n < n1; n++) y[n] = QuantDot.Q8_0Direct(w.Data + n * w.RowBytes, w.Cols, x.Q8Row(0, false), x.Scale32(0));
            return;
        }
        for (var n = n0; n < n1; n++)
        {
            scratch.Decode(w.Type, w.Data + n * w.RowBytes, w.Cols);
            if (isK)
                for (var t = 0; t < rows; t++)
                    y[(long)t * ldy + n] = QuantDot.K(scratch, x.Q8Row(t, true), x.ScaleK(t), x.BlockSums16(t));
            else
                for (var t = 0; t < rows; t++)
                    y[(long)t * ldy + n] = QuantDot.Legacy(scratch, x.Q8Row(t, false), x.Scale32(t), x.Sum32(t));
        }
    }
}
