using System.Runtime.CompilerServices;
namespace TokenFlow.Inference.Kernels;

/// <summary>
/// cos/sin of RoPE angles per position. run.c's formula (freq = 1/θ^(2j/hs), angle = pos·freq) for
/// llama2.c checkpoints, or ggml's (see <see cref="RopeSettings"/>) for GGUF files; pairs are
/// adjacent (2j, 2j+1) or NEOX-style (j, j + hs/2).
/// </summary>
internal sealed unsafe class RopeTable
{
    private readonly float[] _cos, _sin;
    private readonly int _half;
    private readonly bool _neox;

    public RopeTable(int headDim, int positions, float theta, RopeSettings? settings = null)
    {
        settings ??= RopeSettings.RunC;
        _half = headDim / 2;
        _neox = settings.Neox;
        Positions = positions;
        _cos = new float[(long)positions * _half];
        _sin = new float[(long)positions * _half];
        var thetaScale = MathF.Pow(theta, -2.0f / headDim);
        for (var p = 0; p < positions; p++)
        {
            float t = p;
            for (var j = 0; j < _half; j++)
            {
                float val;
                if (settings.GgmlAngles)
                {
                    var ff = settings.FreqFactors is { } f ? f[j] : 1f;
                    val = settings.FreqScale * (t / ff);
                    t *= thetaScale;
                }
                else val = p * (1.0f / MathF.Pow(theta, 2 * j / (float)headDim));
                _cos[p * _half + j] = MathF.Cos(val);
                _sin[p * _half + j] = MathF.Sin(val);
            }
        }
    }

    public int Positions { get; }

    /// <summary>Rotates <paramref name="heads"/> consecutive heads of a row at position <paramref name="pos"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    public void Apply(float* v, int heads, int headDim, int pos)
    {
        var half = _half;
        var (a, b) = _neox ? (1, half) : (2, 1); // element of pair j: a·j and a·j + b
        fixed (float* c0 = &_cos[pos * half], s0 = &_sin[pos * half])
        {
            for (var h = 0; h < heads; h++)
            {
                var x = v + h * headDim;
                for (var j = 0; j < half; j++)
                {
                    float fcr = c0[j], fci = s0[j];
                    var i0 = a * j;
                    float v0 = x[i0], v1 = x[i0 + b];
                    x[i0] = v0 * fcr - v1 * fci;
                    x[i0 + b] = v0 * fci + v1 * fcr;
                }
            }
        }
    }
}
