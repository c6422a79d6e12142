namespace TokenFlow.Inference.Sampling;

/// <summary>
/// Restricts which tokens may come next (constrained decoding). Called on the engine thread, once per
/// sampled token of one request: <see cref="Mask"/> before the draw, <see cref="Accept"/> with the result.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>Sets the logits of forbidden tokens to −∞; <paramref name="remaining"/> is the token budget left, this one included.</summary>
    void Mask(Span<float> logits, int remaining);

    /// <summary>Advances past the chosen token.</summary>
    void Accept(int token);
}
