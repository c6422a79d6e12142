using System.Runtime.CompilerServices;
using TokenFlow.Core.Execution;
using TokenFlow.Core.Transfers;
using TokenFlow.Inference.Kernels;
using TokenFlow.Inference.Model;
using TokenFlow.Inference.Sampling;

namespace TokenFlow.Inference;

/// <summary>
/// The real transformer behind <see cref="IExecutor"/>: one forward pass per iteration over every
/// scheduled sequence (prefill chunks and decodes mixed), so each weight is read once per pass;
/// paged attention over the device arena; tier copies for the transfer engine. Rows are processed
/// in groups of at most <see cref="MaxRowsPerPass"/> to bound scratch memory; a later group sees the
/// KV an earlier one wrote. Every per-row computation uses a fixed summation order, so a sequence's
/// tokens do not depend on batching, chunking or preemption.
/// </summary>
public sealed unsafe class CpuModelExecutor : IExecutor, IKvBlockCopier, IDisposable
{
    public const int MaxRowsPerPass = 256;

    private readonly ModelConfig _c;
    private readonly LlamaWeights _w;
    private readonly Execution.WorkerPool _pool;
    private readonly RopeTable _rope;
    private readonly TokenSampler _sampler;
    private readonly Execution.GemmJob _gemm;
    private readonly Execution.AttentionJob _attention;
    private readonly float[][] _workerScratch;
    private readonly Execution.PinnedBuffer _x = new(), _xb = new(), _xb2 = new(), _q = new(), _k = new(), _v = new(), _hb = new(), _hb2 = new(), _xs = new(), _logits = new();
    private int[] _tables = GC.AllocateArray<int>(256, pinned: true);
    private int[] _rowPos = GC.AllocateArray<int>(MaxRowsPerPass, pinned: true);
    private int[] _rowTable = GC.AllocateArray<int>(MaxRowsPerPass, pinned: true);
    private readonly int[] _rowToken = new int[MaxRowsPerPass];
    private readonly int[] _rowSlot = new int[MaxRowsPerPass];
    private int[] _seqTable = new int[64];
    private int[] _seqSlot = new int[64];
    private readonly float _scale;
    private readonly float[] _sampleWork;
    private bool _disposed;

    internal CpuModelExecutor(LoadedModel model, int deviceBlocks, int hostBlocks, int blockSize, int? threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deviceBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(hostBlocks);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Model = model;
        _c = model.Config;
        _w = model.Weights;
        BlockSize = blockSize;
        Device = new Execution.KvArena(deviceBlocks, blockSize, _c.Layers, _c.KvDim);
        Host = new Execution.KvArena(hostBlocks, blockSize, _c.Layers, _c.KvDim);
        _pool = new Execution.WorkerPool(threads ?? Environment.ProcessorCount);
        // The table covers the model's context; llama2.c-converted GGUFs understate it (128), so allow at least 2048.
        // A sliding window (phi3) caps the positions, so full attention equals windowed attention.
        _rope = new RopeTable(_c.HeadDim, _c.MaxPositions, _c.RopeTheta, _c.Rope);
        _sampler = new TokenSampler(_c.VocabSize);
        _sampleWork = new float[_c.VocabSize];
        _scale = MathF.Sqrt(_c.HeadDim);
        var maxCols = Math.Max(Math.Max(_c.Dim, _c.QDim), _c.HiddenDim);
        _workerScratch = new float[_pool.Threads * 2][];
        var gemmScratch = new nint[_pool.Threads];
        var scores = new nint[_pool.Threads];
        for (var t = 0; t < _pool.Threads; t++)
        {
            _workerScratch[2 * t] = GC.AllocateArray<float>(Gemm.TileRows * maxCols + 16, pinned: true);
            _workerScratch[2 * t + 1] = GC.AllocateArray<float>(_c.Heads * (_rope.Positions + 16) + 16, pinned: true);
            gemmScratch[t] = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _workerScratch[2 * t][0]);
            scores[t] = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _workerScratch[2 * t + 1][0]);
        }
        _gemm = new Execution.GemmJob(gemmScratch, maxCols);
        _attention = new Execution.AttentionJob(scores)
        {
            Arena = Device, Heads = _c.Heads, KvHeads = _c.KvHeads, HeadDim = _c.HeadDim, Dim = _c.QDim, Scale = _scale,
            ScoreStride = _rope.Positions + 16,
        };
    }

    public LoadedModel Model { get; }
    public Execution.KvArena Device { get; }
    public Execution.KvArena Host { get; }
    public int BlockSize { get; }
    public int Threads => _pool.Threads;
    /// <summary>Largest position (exclusive) a sequence may reach.</summary>
    public int MaxPositions => _rope.Positions;

    public long KvBytesPerBlock => Device.BytesPerBlock;
    public int? EosTokenId => Model.Tokenizer.EosId;

    /// <summary>Logits of batch entry <paramref name="batchIndex"/> from the last <see cref="Execute"/> (entries that sampled only); valid until the next call.</summary>
    public ReadOnlySpan<float> Logits(int batchIndex)
    {
        var slot = batchIndex < _seqSlot.Length ? _seqSlot[batchIndex] : -1;
        if (slot < 0) throw new ArgumentException($"batch entry {batchIndex} did not sample in the last pass");
        return _logits.Span((long)slot * _c.VocabSize, _c.VocabSize);
    }

    public void Copy(bool toHost, ReadOnlySpan<int> sourceBlocks, ReadOnlySpan<int> destinationBlocks)
    {
        var (src, dst) = toHost ? (Device, Host) : (Host, Device);
        for (var i = 0; i < sourceBlocks.Length; i++)
            Buffer.MemoryCopy(src.Block(sourceBlocks[i]), dst.Block(destinationBlocks[i]), dst.BytesPerBlock, src.BytesPerBlock);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(IReadOnlyList<ScheduledSequence> batch, Span<int> sampled)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var n = batch.Count;
        if (_seqTable.Length < n) { _seqTable = new int[n * 2]; _seqSlot = new int[n * 2]; }
        // Flatten block tables (interface lists are slow in the attention loop) and give sampling entries consecutive logits slots.
        var tableFloats = 0;
        var slots = 0;
        for (var i = 0; i < n; i++)
        {
            var s = batch[i];
            var end = s.Start + s.Count;
            if (s.Count <= 0 || s.Start < 0) throw new ArgumentException($"bad chunk [{s.Start}, {end}) for {s.Request.Id}");
            if (end > _rope.Positions) throw new InvalidOperationException($"{s.Request.Id}: position {end - 1} exceeds the model's {_rope.Positions} positions");
            if ((end + BlockSize - 1) / BlockSize > s.BlockTable.Count)
                throw new InvalidOperationException($"{s.Request.Id}: block table of {s.BlockTable.Count} blocks does not cover positions up to {end}");
            _seqTable[i] = tableFloats;
            tableFloats += s.BlockTable.Count;
            _seqSlot[i] = s.Samples ? slots++ : -1;
        }
        if (_tables.Length < tableFloats) _tables = GC.AllocateArray<int>(tableFloats * 2, pinned: true);
        for (var i = 0; i < n; i++)
        {
            var table = batch[i].BlockTable;
            for (var b = 0; b < table.Count; b++)
            {
                var blk = table[b];
                if ((uint)blk >= (uint)Device.Blocks) throw new InvalidOperationException($"{batch[i].Request.Id}: device block {blk} out of range");
                _tables[_seqTable[i] + b] = blk;
            }
        }
        _logits.Ensure((long)Math.Max(slots, 1) * _c.VocabSize);
        _xs.Ensure((long)Math.Max(slots, 1) * _c.Dim);

        // Rows in batch order, in groups of at most MaxRowsPerPass.
        int seq = 0, pos = n > 0 ? batch[0].Start : 0;
        while (seq < n)
        {
            var rows = 0;
            var firstSlot = -1;
            var slotCount = 0;
            while (seq < n && rows < MaxRowsPerPass)
            {
                var s = batch[seq];
                var token = s.Request.TokenAt(pos);
                if ((uint)token >= (uint)_c.VocabSize) throw new ArgumentOutOfRangeException(nameof(batch), token, $"{s.Request.Id}: token id out of range at position {pos}");
                _rowToken[rows] = token;
                _rowPos[rows] = pos;
                _rowTable[rows] = _seqTable[seq];
                var last = pos == s.Start + s.Count - 1;
                _rowSlot[rows] = last ? _seqSlot[seq] : -1;
                if (_rowSlot[rows] >= 0) { if (firstSlot < 0) firstSlot = _rowSlot[rows]; slotCount++; }
                rows++;
                if (last) { seq++; if (seq < n) pos = batch[seq].Start; }
                else pos++;
            }
            Forward(rows, firstSlot, slotCount);
        }

        for (var i = 0; i < n; i++)
        {
            var slot = _seqSlot[i];
            if (slot < 0) { sampled[i] = -1; continue; }
            var r = batch[i].Request;
            var logits = _logits.Span((long)slot * _c.VocabSize, _c.VocabSize);
            if (TokenSampler.IsPlainGreedy(r)) sampled[i] = TokenSampler.Argmax(logits);
            else
            {
                // Sampling overwrites its input; keep the logits readable through Logits() (and for logprobs).
                logits.CopyTo(_sampleWork);
                sampled[i] = _sampler.Sample(logits, _sampleWork, r, TokenSampler.StateFor(r));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // skip tier-0: short runs would otherwise time unoptimized SIMD
    private void Forward(int rows, int firstSlot, int slotCount)
    {
        int dim = _c.Dim, qDim = _c.QDim, kvDim = _c.KvDim, hid = _c.HiddenDim;
        var x = _x.Ensure((long)rows * dim);
        var xb = _xb.Ensure((long)rows * dim);
        var xb2 = _xb2.Ensure((long)rows * qDim);
        var q = _q.Ensure((long)rows * qDim);
        var k = _k.Ensure((long)rows * kvDim);
        var v = _v.Ensure((long)rows * kvDim);
        var hb = _hb.Ensure(Math.Max((long)rows * hid, _c.VocabSize));
        var hb2 = _hb2.Ensure((long)rows * hid);
        for (var r = 0; r < rows; r++) _w.TokenEmbedding.DequantizeRow(_rowToken[r], new Span<float>(x + (long)r * dim, dim));

        fixed (int* rowPos = _rowPos, rowTable = _rowTable, tables = _tables)
        {
            _attention.RowPos = rowPos;
            _attention.RowTable = rowTable;
            _attention.Tables = tables;
            _attention.Q = q;
            _attention.Out = xb2;
            long attnWork = 0;
            for (var r = 0; r < rows; r++) attnWork += rowPos[r] + 1;
            attnWork *= (long)_c.Heads * _c.HeadDim * 2;

            for (var l = 0; l < _c.Layers; l++)
            {
                var lw = _w.Layers[l];
                for (var r = 0; r < rows; r++) Ops.RmsNorm(xb + (long)r * dim, x + (long)r * dim, lw.AttnNorm, dim, _c.NormEps);
                _gemm.Run(_pool, xb, rows, lw.Wq, q, lw.Wk, k, lw.Wv, v);
                for (var r = 0; r < rows; r++)
                {
                    if (lw.Bq is not null) Ops.AddInPlace(q + (long)r * qDim, lw.Bq, qDim);
                    if (lw.Bk is not null) Ops.AddInPlace(k + (long)r * kvDim, lw.Bk, kvDim);
                    if (lw.Bv is not null) Ops.AddInPlace(v + (long)r * kvDim, lw.Bv, kvDim);
                    var p = rowPos[r];
                    _rope.Apply(q + (long)r * qDim, _c.Heads, _c.HeadDim, p);
                    _rope.Apply(k + (long)r * kvDim, _c.KvHeads, _c.HeadDim, p);
                    var blk = tables[rowTable[r] + p / BlockSize];
                    var slot = p % BlockSize;
                    Buffer.MemoryCopy(k + (long)r * kvDim, Device.K(blk, l, slot), kvDim * 4, kvDim * 4);
                    Buffer.MemoryCopy(v + (long)r * kvDim, Device.V(blk, l, slot), kvDim * 4, kvDim * 4);
                }
                _attention.Layer = l;
                // Whole rows (all heads per item) once there are enough rows to keep every thread busy, else each
                // row's heads split into one contiguous group per thread; the result is the same either way.
                _attention.HeadsPerItem = !_attention.CanGroupHeads ? 0
                    : rows >= 2 * _pool.Threads ? _c.Heads
                    : (_c.Heads + _pool.Threads - 1) / _pool.Threads;
                _pool.Run(_attention, _attention.HeadsPerItem > 0 ? rows * _attention.GroupsPerRow : rows * _c.Heads, parallel: attnWork >= 1 << 15);
                _gemm.Run(_pool, xb2, rows, lw.Wo, xb);
                Ops.AddInPlace(x, xb, rows * dim);
                for (var r = 0; r < rows; r++) Ops.RmsNorm(xb + (long)r * dim, x + (long)r * dim, lw.FfnNorm, dim, _c.NormEps);
                _gemm.Run(_pool, xb, rows, lw.W1, hb, lw.W3, hb2);
                for (var r = 0; r < rows; r++) Ops.SwiGlu(hb + (long)r * hid, hb2 + (long)r * hid, hid);
                _gemm.Run(_pool, hb, rows, lw.W2, xb);
                Ops.AddInPlace(x, xb, rows * dim);
            }
        }

        if (slotCount == 0) return;
        var xs = _xs.Pointer + (long)firstSlot * dim;
        for (int r = 0, j = 0; r < rows; r++)
            if (_rowSlot[r] >= 0) Ops.RmsNorm(xs + (long)j++ * dim, x + (long)r * dim, _w.FinalNorm, dim, _c.NormEps);
        _gemm.Run(_pool, xs, slotCount, _w.Classifier, _logits.Pointer + (long)firstSlot * _c.VocabSize);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pool.Dispose();
        _gemm.Dispose();
        Device.Dispose();
        Host.Dispose();
    }
}
