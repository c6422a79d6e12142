using TokenFlow.Inference.Bench;
using TokenFlow.Inference.Model;

namespace TokenFlow.Inference.Tests;

/// <summary>The B=1 memory ceiling that <c>model bench</c> prints: the byte count per token and a usable rate.</summary>
public sealed class WeightStreamTests
{
    [Fact]
    public void BytesPerTokenCountsEveryLayerMatrixTheClassifierAndOneEmbeddingRow()
    {
        var c = new ModelConfig(Dim: 64, HiddenDim: 96, Layers: 3, Heads: 4, KvHeads: 2, HeadDim: 16, VocabSize: 259, ContextLength: 64);
        using var model = LoadedModel.CreateSynthetic(3, c);
        long perLayer = (long)c.Dim * c.Dim * 2 + (long)c.KvDim * c.Dim * 2 + 3L * c.Dim * c.HiddenDim; // Wq, Wo; Wk, Wv; W1, W2, W3
        var floats = c.Layers * perLayer + (long)c.VocabSize * c.Dim + c.Dim;
        Assert.Equal(floats * sizeof(float), WeightStream.BytesPerToken(model));
    }

    [Fact]
    public void StreamingRateIsPositiveAndFinite()
    {
        using var model = LoadedModel.CreateSynthetic(3, new ModelConfig(64, 96, 2, 4, 2, 16, 259, 64));
        var rate = WeightStream.MeasureBytesPerSecond(model, threads: 2, passes: 3);
        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");
    }
}
