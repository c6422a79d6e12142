using System.Diagnostics;
using System.Text;
using Prometheus;

namespace TokenFlow.Router.Proxy;

/// <summary>
/// A read-only view of a replica's SSE body. When the body fails or ends without <c>data: [DONE]</c>,
/// it appends an error event (unless the replica sent one) and <c>data: [DONE]</c>, then ends cleanly.
/// A cancellation (the client went away) passes through, so the upstream request is aborted.
/// </summary>
public sealed class SseGuardStream(Stream inner, Histogram chunkTime) : Stream
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] ErrorMarker = "data: {\"error\""u8.ToArray();
    private readonly byte[] _tail = new byte[Done.Length];
    private int _tailLength;
    private bool _sawError;
    private byte[]? _epilogue;
    private int _epilogueAt;
    private long _returnedAt;

    public static byte[] ErrorEvent(string message) => Encoding.UTF8.GetBytes(
        "data: {\"error\":{\"message\":" + System.Text.Json.JsonSerializer.Serialize(message) + ",\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_error\"}}\n\n");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_returnedAt != 0) chunkTime.Observe(Stopwatch.GetElapsedTime(_returnedAt).TotalSeconds);
        if (_epilogue is not null) return Epilogue(buffer.Span);
        int n;
        try { n = await inner.ReadAsync(buffer, ct); }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            StartEpilogue("The replica serving this stream failed: " + e.Message);
            return Epilogue(buffer.Span);
        }
        if (n == 0)
        {
            if (EndsWithDone()) return 0;
            StartEpilogue("The replica serving this stream ended it early.");
            return Epilogue(buffer.Span);
        }
        Observe(buffer.Span[..n]);
        _returnedAt = Stopwatch.GetTimestamp();
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private void Observe(ReadOnlySpan<byte> chunk)
    {
        if (!_sawError && chunk.IndexOf(ErrorMarker) >= 0) _sawError = true;
        if (chunk.Length >= _tail.Length) { chunk[^_tail.Length..].CopyTo(_tail); _tailLength = _tail.Length; return; }
        var keep = Math.Min(_tailLength, _tail.Length - chunk.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        chunk.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + chunk.Length;
    }

    private bool EndsWithDone() => _tailLength == _tail.Length && _tail.AsSpan().SequenceEqual(Done);

    private void StartEpilogue(string message)
    {
        _epilogue = _sawError ? Done : [.. ErrorEvent(message), .. Done];
        _epilogueAt = 0;
    }

    private int Epilogue(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _epilogue!.Length - _epilogueAt);
        _epilogue.AsSpan(_epilogueAt, n).CopyTo(buffer);
        _epilogueAt += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
