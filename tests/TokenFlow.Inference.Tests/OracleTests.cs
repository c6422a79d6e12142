using TokenFlow.Core.Execution;
using TokenFlow.Core.Requests;
using TokenFlow.Inference.Formats;
using TokenFlow.Inference.Sampling;

namespace TokenFlow.Inference.Tests;

/// <summary>
/// Every oracle GGUF (llama, qwen2, phi3 × every llama.cpp type) against llama.cpp's outputs: the
/// logits after the prompt, the argmax under teacher forcing on llama.cpp's greedy tokens, and
/// ggml's dequantized rows; alone, batched with 7 other sequences, and through the host tier.
/// </summary>
public sealed unsafe class OracleTests
{
    public static TheoryData<string> Models => new(OracleFixture.Names());

    private enum Mode { Alone, Batched, Offloaded }

    [Theory]
    [MemberData(nameof(Models))]
    public void DequantizedRowsAreGgmlsToTheBit(string name)
    {
        var f = OracleFixture.Load(name);
        using var g = GgufFile.Open(f.GgufPath);
        var checks = f.Json.GetProperty("dequant_checks").EnumerateArray().ToList();
        if (f.Quant != "F32") Assert.NotEmpty(checks);
        foreach (var c in checks)
        {
            var t = g.TensorsByName[c.GetProperty("tensor").GetString()!];
            Assert.Equal(c.GetProperty("type").GetString(), GgmlTypeInfo.Name(t.Type));
            var m = new Model.WeightMatrix(t.Name, t.Type, g.TensorData(t), (int)(t.Elements / t.Dims[0]), (int)t.Dims[0]);
            var row = new float[m.Cols];
            m.DequantizeRow(0, row);
            Assert.Equal(OracleFixture.Floats(c.GetProperty("row_first")).Select(BitConverter.SingleToInt32Bits), row.Select(BitConverter.SingleToInt32Bits));
            m.DequantizeRow(m.Rows - 1, row);
            Assert.Equal(OracleFixture.Floats(c.GetProperty("row_last")).Select(BitConverter.SingleToInt32Bits), row.Select(BitConverter.SingleToInt32Bits));
            var sums = OracleFixture.Doubles(c.GetProperty("row_sums"));
            Assert.Equal(m.Rows, sums.Length);
            for (var r = 0; r < m.Rows; r++)
            {
                m.DequantizeRow(r, row);
                var s = row.Sum(v => (double)v);
                Assert.True(Math.Abs(s - sums[r]) <= 1e-9 * Math.Max(1, Math.Abs(s)), $"{t.Name} row {r}: sum {s} vs ggml {sums[r]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsAndTeacherForcedArgmaxMatchLlamaCpp(string name)
    {
        var f = OracleFixture.Load(name);
        using var model = LoadedModel.Load(f.GgufPath);
        var alone = Run(model, f, Mode.Alone);
        Check(f, alone, "alone");
        var batched = Run(model, f, Mode.Batched);
        var offloaded = Run(model, f, Mode.Offloaded);
        Check(f, batched, "batched");
        Check(f, offloaded, "offloaded");
        // Stronger than the per-mode checks: the logits are bit-identical in every mode.
        for (var s = 0; s < alone.Length; s++)
        {
            Assert.Equal(alone[s], batched[s]);
            Assert.Equal(alone[s], offloaded[s]);
        }
    }

    private static void Check(OracleFixture f, float[][] steps, string mode)
    {
        var tol = f.Tolerance;
        var last = steps[0];
        var native = f.NativeLast;
        var reference = f.ReferenceLast;
        var dNative = MaxDiff(last, native);
        var dRef = MaxDiff(last, reference);
        var argmax = TokenSampler.Argmax(last);
        var okRef = dRef <= tol && argmax == TokenSampler.Argmax(reference);
        var okNative = dNative <= tol && argmax == TokenSampler.Argmax(native);
        Assert.True(okRef || okNative,
            $"{f.Name} ({mode}): max |Δ| {dRef:G3} vs f32_reference, {dNative:G3} vs native (tolerance {tol}); argmax {argmax} vs {TokenSampler.Argmax(reference)}/{TokenSampler.Argmax(native)}");

        var greedy = f.Greedy;
        var margins = f.StepMargins;
        var checkedSteps = 0;
        for (var i = 0; i < greedy.Length; i++)
        {
            if (margins[i] <= tol) continue;
            checkedSteps++;
            Assert.True(TokenSampler.Argmax(steps[i]) == greedy[i],
                $"{f.Name} ({mode}) step {i}: argmax {TokenSampler.Argmax(steps[i])}, llama.cpp {greedy[i]} (its margin {margins[i]:G3})");
        }
        Assert.True(checkedSteps > 0 || margins.All(m => m <= tol), "no step checked");
    }

    private static float MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(b.Length, a.Length);
        var d = 0f;
        for (var i = 0; i < a.Length; i++) d = Math.Max(d, Math.Abs(a[i] - b[i]));
        return d;
    }

    /// <summary>
    /// Logits after the prompt and after each of llama.cpp's greedy tokens fed back (teacher forcing):
    /// 33 vectors. Batched: 7 other sequences share every pass. Offloaded: after the prompt and again
    /// half-way, the sequence's KV goes to the host tier, its device blocks are overwritten, and it comes
    /// back into other device blocks.
    /// </summary>
    private static float[][] Run(LoadedModel model, OracleFixture f, Mode mode)
    {
        const int bs = 16;
        var prompt = f.Prompt;
        var greedy = f.Greedy;
        var all = prompt.Concat(greedy).ToArray();
        var seqBlocks = (all.Length + 5 + 9 * 7 + bs) / bs; // the longest other sequence fits too
        var others = mode == Mode.Batched ? 7 : 0;
        using var ex = model.CreateExecutor((others + 2) * seqBlocks, seqBlocks, bs, threads: 2);
        var table = Enumerable.Range(0, seqBlocks).ToArray();
        var otherTokens = Enumerable.Range(0, others).Select(o => Enumerable.Range(0, 5 + 9 * o + all.Length).Select(k => 3 + (o * 131 + k * 37) % 500).ToArray()).ToArray();
        var otherStart = new int[others];
        var result = new List<float[]>();
        var sampled = new int[8];
        for (var step = 0; step <= greedy.Length; step++)
        {
            var end = prompt.Length + step;
            var start = step == 0 ? 0 : end - 1;
            var batch = new List<ScheduledSequence>();
            var me = 0;
            for (var o = 0; o < others; o++)
            {
                if (o == 3) { me = batch.Count; batch.Add(Seq(all, end, start, table)); }
                var ot = otherTokens[o];
                var oEnd = step == 0 ? ot.Length - all.Length + prompt.Length : otherStart[o] + 1;
                batch.Add(Seq(ot, oEnd, otherStart[o], Enumerable.Range((o + 1) * seqBlocks, seqBlocks).ToArray()));
                otherStart[o] = oEnd;
            }
            if (others == 0) batch.Add(Seq(all, end, start, table));
            ex.Execute(batch, sampled.AsSpan(0, batch.Count));
            result.Add(ex.Logits(me).ToArray());
            if (mode == Mode.Offloaded && (step == 0 || step == greedy.Length / 2))
            {
                var host = Enumerable.Range(0, seqBlocks).ToArray();
                ex.Copy(true, table, host);
                var spare = table.Select(b => (b + seqBlocks) % (2 * seqBlocks)).ToArray();
                ex.Copy(false, host, spare);
                // Scramble the old blocks: the sequence must now read only what came back.
                for (var b = 0; b < table.Length; b++)
                    new Span<byte>(ex.Device.Block(table[b]), (int)ex.Device.BytesPerBlock).Fill(0x7F);
                table = spare;
            }
        }
        return result.ToArray();
    }

    private static ScheduledSequence Seq(int[] tokens, int end, int start, int[] table) =>
        new(new Request("s", tokens[..end], 1, 1, 0), start, end - start, table);
}
