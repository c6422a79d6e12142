using System.Diagnostics;
using System.Text;
using Prometheus;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// Wraps the client's response body while YARP copies a replica's response into it. It remembers
/// whether an SSE body ended with <c>data: [DONE]</c> or carried an error event, so the router can end
/// a stream the replica cut with an OpenAI-shaped error event and <c>[DONE]</c>, and it times each
/// chunk's write to the client (the router's per-chunk cost).
/// </summary>
public sealed class SseGuardStream(Stream inner, Histogram chunkTime) : Stream
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] ErrorMarker = "data: {\"error\""u8.ToArray();
    private readonly byte[] _tail = new byte[Done.Length];
    private int _tailLength;

    public bool SawError { get; private set; }
    public bool Wrote => _tailLength > 0;
    public bool EndsWithDone => _tailLength == _tail.Length && _tail.AsSpan().SequenceEqual(Done);

    public static byte[] ErrorEvent(string message) => Encoding.UTF8.GetBytes(
        "data: {\"error\":{\"message\":" + System.Text.Json.JsonSerializer.Serialize(message) + ",\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_error\"}}\n\n");

    /// <summary>Ends a cut stream: an error event unless the replica sent one, then [DONE].</summary>
    public async Task EndCutStreamAsync(string message, CancellationToken ct)
    {
        if (!SawError) await inner.WriteAsync(ErrorEvent(message), ct);
        await inner.WriteAsync(Done, ct);
        await inner.FlushAsync(ct);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        var start = Stopwatch.GetTimestamp();
        Observe(buffer.Span);
        await inner.WriteAsync(buffer, ct); // Kestrel's body stream flushes every write
        chunkTime.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    private void Observe(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length == 0) return;
        if (!SawError && chunk.IndexOf(ErrorMarker) >= 0) SawError = true;
        if (chunk.Length >= _tail.Length) { chunk[^_tail.Length..].CopyTo(_tail); _tailLength = _tail.Length; return; }
        var keep = Math.Min(_tailLength, _tail.Length - chunk.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        chunk.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + chunk.Length;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
