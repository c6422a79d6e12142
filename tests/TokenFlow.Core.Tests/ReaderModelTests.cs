using TokenFlow.Core.Requests;

namespace TokenFlow.Core.Tests;

public sealed class ReaderModelTests
{
    [Fact]
    public void WorkedExampleA_BuffersAndNoStall()
    {
        var reader = new ReaderModel(2);
        var buffersBefore = new List<int>();
        for (var j = 0; j < 10; j++)
        {
            var t = 1.0 + 0.1 * j;
            if (j > 0) buffersBefore.Add(reader.Buffer(t));
            reader.OnToken(t);
        }
        Assert.Equal(new[] { 0, 1, 2, 3, 3, 4, 5, 6, 7 }, buffersBefore);
        Assert.Equal(0, reader.StallSeconds, 9);
        Assert.Equal(1.0 + 9 * 0.5, reader.DrainTime, 9);
    }

    [Fact]
    public void WorkedExampleB_StallsUntilNextToken()
    {
        var reader = new ReaderModel(10);
        reader.OnToken(0.5);
        reader.OnToken(0.6);
        reader.OnToken(1.6);
        Assert.Equal(0.9, reader.StallSeconds, 9);
        Assert.Equal(0, reader.Buffer(1.6));
    }

    [Fact]
    public void SlackIsBufferOverRate()
    {
        var reader = new ReaderModel(4);
        for (var i = 0; i < 9; i++) reader.OnToken(1.0); // nine tokens at once
        Assert.Equal(8, reader.Buffer(1.0));
        Assert.Equal(2.0, reader.Slack(1.0), 9);
        Assert.Equal(4, reader.Buffer(2.0)); // four more read during the next second
        Assert.Equal(0, reader.Buffer(10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RejectsInvalidRates(double rate) => Assert.Throws<ArgumentOutOfRangeException>(() => new ReaderModel(rate));
}
