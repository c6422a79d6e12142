using System.Text;
using TokenFlow.Bench.Client;

namespace TokenFlow.Bench.Tests;

/// <summary>SSE framing and OpenAI chunk parsing, including events split across reads.</summary>
public sealed class SseTests
{
    private static List<(double Time, string Data)> Feed(params (string Bytes, double Time)[] reads)
    {
        var parser = new SseParser();
        var events = new List<(double, string)>();
        foreach (var (bytes, time) in reads) parser.Feed(Encoding.UTF8.GetBytes(bytes), time, e => events.Add((e.Time, Encoding.UTF8.GetString(e.Data.Span))));
        parser.Complete(99, e => events.Add((e.Time, Encoding.UTF8.GetString(e.Data.Span))));
        return events;
    }

    [Fact]
    public void EventsAreStampedWithTheReadThatCompletesThem()
    {
        var events = Feed(("data: {\"a\":1}\n\nda", 1.0), ("ta: {\"b\":2}\r\n", 2.0), ("\r\n: comment\n\ndata: [DONE]\n\n", 3.0));
        Assert.Equal([(1.0, "{\"a\":1}"), (3.0, "{\"b\":2}"), (3.0, "[DONE]")], events);
    }

    [Fact]
    public void MultiLineDataJoinsAndUnterminatedEventCountsAtEnd()
    {
        var events = Feed(("event: x\ndata: one\ndata: two\n\ndata: tail", 1.0));
        Assert.Equal([(1.0, "one\ntwo"), (99.0, "tail")], events);
    }

    [Fact]
    public void ChunksOfBothApisAreRead()
    {
        var completion = StreamChunk.Parse("""{"choices":[{"index":0,"text":"abc","finish_reason":null}]}"""u8);
        Assert.Equal(3, completion.TextChars);
        var chat = StreamChunk.Parse("""{"choices":[{"index":0,"delta":{"content":"hi"}}]}"""u8);
        Assert.Equal(2, chat.TextChars);
        var role = StreamChunk.Parse("""{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"""u8);
        Assert.False(role.HasText);
        var usage = StreamChunk.Parse("""{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":12,"total_tokens":19}}"""u8);
        Assert.Equal((7, 12), (usage.PromptTokens, usage.CompletionTokens));
        Assert.True(StreamChunk.Parse("[DONE]"u8).Done);
        Assert.Equal("boom", StreamChunk.Parse("""{"error":{"message":"boom"}}"""u8).Error);
        Assert.NotNull(StreamChunk.Parse("{not json"u8).Error);
    }
}
