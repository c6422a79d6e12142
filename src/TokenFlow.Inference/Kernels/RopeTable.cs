using System.Runtime.CompilerServices;
namespace TokenFlow.Inference.Kernels;

/// <summary>
/// cos/sin of RoPE angles per position, computed in float exactly as run.c does
/// (freq = 1/θ^(2j/hs), angle = pos·freq), rotating adjacent pairs (2j, 2j+1) within each head.
/// </summary>
internal sealed unsafe class RopeTable
{
    private readonly float[] _cos, _sin;
    private readonly int _half;

    public RopeTable(int headDim, int positions, float theta)
    {
        _half = headDim / 2;
        Positions = positions;
        _cos = new float[(long)positions * _half];
        _sin = new float[(long)positions * _half];
        for (var p = 0; p < positions; p++)
            for (var j = 0; j < _half; j++)
            {
                var freq = 1.0f / MathF.Pow(theta, 2 * j / (float)headDim);
                var val = p * freq;
                _cos[p * _half + j] = MathF.Cos(val);
                _sin[p * _half + j] = MathF.Sin(val);
            }
    }

    public int Positions { get; }

    /// <summary>Rotates <paramref name="heads"/> consecutive heads of a row at position <paramref name="pos"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public void Apply(float* v, int heads, int headDim, int pos)
    {
        fixed (float* c0 = &_cos[pos * _half], s0 = &_sin[pos * _half])
        {
            for (var h = 0; h < heads; h++)
            {
                var x = v + h * headDim;
                for (var j = 0; j < _half; j++)
                {
                    float fcr = c0[j], fci = s0[j];
                    float v0 = x[2 * j], v1 = x[2 * j + 1];
                    x[2 * j] = v0 * fcr - v1 * fci;
                    x[2 * j + 1] = v0 * fci + v1 * fcr;
                }
            }
        }
    }
}
