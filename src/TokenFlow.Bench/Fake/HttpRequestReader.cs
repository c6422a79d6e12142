using System.Globalization;
using System.Text;

namespace TokenFlow.Bench.Fake;

/// <summary>Reads HTTP/1.1 requests (request line, headers, Content-Length body) from a keep-alive connection.</summary>
internal sealed class HttpRequestReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    public async Task<(string Method, string Path, byte[] Body)?> ReadAsync(CancellationToken ct)
    {
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            if (!await Fill(ct)) return null;
        var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd);
        _start += headerEnd + 4;
        var lines = head.Split("\r\n");
        var first = lines[0].Split(' ');
        if (first.Length < 2) throw new IOException("bad request line");
        var length = 0;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                length = int.Parse(line[(colon + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        if (length > _buffer.Length / 2) throw new IOException("body too large for the fake server");
        while (_end - _start < length)
            if (!await Fill(ct)) return null;
        var body = _buffer.AsSpan(_start, length).ToArray();
        _start += length;
        return (first[0], first[1], body);
    }

    private async Task<bool> Fill(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new IOException("request too large for the fake server");
        var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (n == 0) return false;
        _end += n;
        return true;
    }
}
