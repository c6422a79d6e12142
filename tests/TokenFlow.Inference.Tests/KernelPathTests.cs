using TokenFlow.Core.Execution;
using TokenFlow.Core.Requests;
using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Tests;

/// <summary>
/// The fast paths (row-sequential GEMV for decode, 4×4 GEMM tiles for batches, whole-row attention for
/// batches, head groups split across threads for small ones, grouped-query heads) must all give bit-identical
/// logits. stories260K (head_dim 8) cannot reach the whole-row attention path, so this uses a
/// synthetic model with head_dim 32 and 2 query heads per KV head.
/// </summary>
public sealed class KernelPathTests
{
    private static readonly Lazy<LoadedModel> Model = new(() => LoadedModel.CreateSynthetic(7,
        new ModelConfig(Dim: 128, HiddenDim: 176, Layers: 2, Heads: 4, KvHeads: 2, HeadDim: 32, VocabSize: 259, ContextLength: 256)));

    private static int[] Tokens(int seed, int n) => [1, .. Enumerable.Range(0, n - 1).Select(k => 3 + (seed * 31 + k * 17) % 250)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void DecodeAloneEqualsPrefillAndBatched(int threads)
    {
        var model = Model.Value;
        var tokens = Tokens(1, 40);
        var prefill = model.ComputeLogits(tokens, threads: 1); // 40 rows: GEMM tiles, whole-row attention

        // The same sequence prefilled to 39 then decoding its 40th token alone (GEMV, per-head attention).
        using (var ex = model.CreateExecutor(8, 0, 16, threads))
        {
            var r = new Request("d", tokens, 1, 1, 0);
            var table = new[] { 0, 1, 2 };
            var sampled = new int[1];
            ex.Execute([new ScheduledSequence(r, 0, 39, table)], sampled);
            Assert.Equal(-1, sampled[0]);
            ex.Execute([new ScheduledSequence(r, 39, 1, table)], sampled);
            Assert.Equal(prefill, ex.Logits(0).ToArray());
        }

        // Decoding its 40th token together with 7 other sequences' decodes (batched GEMM, whole-row attention).
        using (var ex = model.CreateExecutor(64, 0, 16, threads))
        {
            var batch = new List<ScheduledSequence>();
            var requests = new List<Request>();
            for (var i = 0; i < 8; i++)
            {
                var t = i == 5 ? tokens : Tokens(i + 2, 20 + 3 * i);
                requests.Add(new Request($"b{i}", t, 1, 1, 0));
                batch.Add(new ScheduledSequence(requests[i], 0, t.Length - 1, Enumerable.Range(i * 4, 4).ToArray()));
            }
            var sampled = new int[8];
            ex.Execute(batch, sampled);
            for (var i = 0; i < 8; i++) batch[i] = batch[i] with { Start = requests[i].TotalTokens - 1, Count = 1 };
            ex.Execute(batch, sampled);
            Assert.Equal(prefill, ex.Logits(5).ToArray());
        }
    }
}
