using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TokenFlow.Inference.Execution;
using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Bench;

/// <summary>
/// The memory ceiling of single-stream decode: one decoded token reads every layer matrix and the
/// classifier once, so B=1 cannot beat (bytes per token) / (rate at which these threads can stream
/// those same bytes). Measured over the model's own mapped weights, with the executor's thread
/// count, right next to the benchmark runs — on a shared machine the achievable rate moves with the
/// neighbours, so a decode figure is only meaningful beside a ceiling taken at the same time.
/// </summary>
public static unsafe class WeightStream
{
    /// <summary>Bytes of weights a single decoded token reads (all layer matrices and the classifier; one embedding row).</summary>
    public static long BytesPerToken(LoadedModel model) =>
        Ranges(model.Weights).Sum(r => r.Bytes) + model.Weights.TokenEmbedding.RowBytes;

    /// <summary>Streams those bytes <paramref name="passes"/> times in forward-pass order and returns the median rate in bytes/s.</summary>
    public static double MeasureBytesPerSecond(LoadedModel model, int threads, int passes = 15)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        var ranges = Ranges(model.Weights);
        var total = ranges.Sum(r => r.Bytes);
        using var pool = new WorkerPool(threads);
        var job = new ReadJob();
        var times = new double[passes];
        for (var p = -1; p < passes; p++) // pass −1 pages everything in
        {
            var start = Stopwatch.GetTimestamp();
            foreach (var (s, b) in ranges)
            {
                job.Set((byte*)s, b, pool.Threads);
                pool.Run(job, pool.Threads);
            }
            if (p >= 0) times[p] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return total / times[passes / 2];
    }

    /// <summary>Every matrix a decoded token reads whole, in forward-pass order: the layers', then the classifier.</summary>
    private static List<(nint Start, long Bytes)> Ranges(LlamaWeights w) =>
        [.. w.Layers.SelectMany(l => l.Matrices()).Append(w.Classifier).Select(m => ((nint)m.Data, m.RowBytes * m.Rows))];

    /// <summary>Sums one matrix's bytes as floats, split into one contiguous slice per thread (the sum only defeats dead-code elimination).</summary>
    private sealed class ReadJob : IParallelJob
    {
        private byte* _data;
        private long _bytes;
        private int _parts;
        private readonly float[] _sink = new float[256];

        public void Set(byte* data, long bytes, int parts) { _data = data; _bytes = bytes; _parts = parts; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int item, int worker)
        {
            var per = (_bytes / _parts) & ~255L;
            var from = per * item;
            var to = item == _parts - 1 ? _bytes & ~255L : from + per;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var i = from; i < to; i += 256)
            {
                var p = (float*)(_data + i);
                a0 += Vector512.Load(p);
                a1 += Vector512.Load(p + 16);
                a2 += Vector512.Load(p + 32);
                a3 += Vector512.Load(p + 48);
            }
            _sink[item & 255] = Vector512.Sum(a0 + a1 + a2 + a3);
        }
    }
}
