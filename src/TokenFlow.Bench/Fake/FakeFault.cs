namespace TokenFlow.Bench.Fake;

/// <summary>What the fake server does with one streaming request (tests of the bench's error handling).</summary>
public enum FakeFault
{
    None,
    /// <summary>HTTP 500 with an OpenAI-shaped error body.</summary>
    Http500,
    /// <summary>Half the tokens, then the connection is dropped without [DONE].</summary>
    BreakMidStream,
    /// <summary>Half the tokens, then an in-stream error event.</summary>
    StreamErrorEvent,
    /// <summary>Stops listening: this request's connection is dropped and later connections are refused.</summary>
    RefuseFromHere,
}
