using System.Runtime.InteropServices;

namespace TokenFlow.Inference.Model;

/// <summary>
/// Copies the F32 matrices the forward pass streams (every layer matrix and the classifier) out of
/// the file mapping into one 2 MiB-aligned anonymous buffer advised for transparent huge pages, in
/// the order the forward pass reads them. Page-cache pages are 4 KiB: streaming ~60 MB per decode
/// token through them costs a TLB miss and a hardware-prefetch restart every 4 KiB, which held a
/// batch-1 GEMV to ~7–11 GB/s here; on huge pages it streams at ~15–17 GB/s per core. Values are
/// copied bit for bit, so results are unchanged. Other types (F16/BF16/Q8_0) and an untied token
/// embedding (only single rows are read) stay in the mapping.
/// </summary>
internal static unsafe class WeightPacking
{
    internal const int MadvDontneed = 4, MadvHugepage = 14;
    internal const nuint HugePage = 2 << 20;

    public static (LlamaWeights Weights, NativeBuffer? Buffer) Pack(LlamaWeights w, byte* mapped = null, long mappedBytes = 0)
    {
        var order = new List<WeightMatrix>();
        foreach (var l in w.Layers) order.AddRange([l.Wq, l.Wk, l.Wv, l.Wo, l.W1, l.W3, l.W2]);
        order.Add(w.Classifier);
        long total = 0;
        foreach (var m in order) if (m.IsF32) total += Align((long)m.Rows * m.RowBytes);
        if (total == 0) return (w, null);
        var buffer = new NativeBuffer((total + (long)HugePage - 1) / (long)HugePage * (long)HugePage, HugePage);
        Advise(buffer.Pointer, buffer.Bytes, MadvHugepage);
        var map = new Dictionary<WeightMatrix, WeightMatrix>(ReferenceEqualityComparer.Instance);
        long offset = 0;
        WeightMatrix Copy(WeightMatrix m)
        {
            if (!m.IsF32) return m;
            if (map.TryGetValue(m, out var done)) return done;
            var bytes = (long)m.Rows * m.RowBytes;
            var dst = buffer.Pointer + offset;
            Buffer.MemoryCopy(m.Data, dst, bytes, bytes);
            offset += Align(bytes);
            return map[m] = new WeightMatrix(m.Name, m.Type, dst, m.Rows, m.Cols);
        }
        var layers = w.Layers.Select(l =>
        {
            // Copy in read order; the record keeps its own field order.
            var (q, k, v, o, g, u, d) = (Copy(l.Wq), Copy(l.Wk), Copy(l.Wv), Copy(l.Wo), Copy(l.W1), Copy(l.W3), Copy(l.W2));
            return l with { Wq = q, Wk = k, Wv = v, Wo = o, W1 = g, W3 = u, W2 = d };
        }).ToArray();
        var classifier = Copy(w.Classifier);
        var embedding = map.TryGetValue(w.TokenEmbedding, out var e) ? e : w.TokenEmbedding; // tied: same object again
        // The copied file pages are not read again (the embedding faults its rows back in on use): drop them from RSS.
        if (mapped != null && mappedBytes > 0) Advise(mapped, mappedBytes, MadvDontneed);
        return (new LlamaWeights(embedding, layers, w.FinalNorm, classifier), buffer);
    }

    private static long Align(long bytes) => (bytes + 63) & ~63L;

    internal static void Advise(byte* p, long bytes, int advice)
    {
        if (!OperatingSystem.IsLinux()) return;
        var start = (nint)p & ~(nint)4095;
        try { _ = madvise(start, (nuint)((nint)p + (nint)bytes - start), advice); }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int madvise(nint addr, nuint length, int advice);
}
