using System.Buffers;

namespace TokenFlow.Bench.Client;

/// <summary>
/// Incremental server-sent-events parser (the WHATWG rules the OpenAI streams use): "data:" lines
/// accumulate, a blank line dispatches. Bytes are fed as they are read, with the read's timestamp,
/// so each event carries the time its final byte arrived.
/// </summary>
public sealed class SseParser
{
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private readonly ArrayBufferWriter<byte> _data = new(256);
    private bool _hasData;

    /// <summary>Feeds bytes read at <paramref name="time"/>; calls <paramref name="onEvent"/> for each complete event.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, double time, Action<SseEvent> onEvent)
    {
        while (!bytes.IsEmpty)
        {
            var nl = bytes.IndexOf((byte)'\n');
            if (nl < 0)
            {
                _line.Write(bytes);
                return;
            }
            ReadOnlySpan<byte> line;
            if (_line.WrittenCount > 0)
            {
                _line.Write(bytes[..nl]);
                line = _line.WrittenSpan;
            }
            else line = bytes[..nl];
            OnLine(line, time, onEvent);
            _line.ResetWrittenCount();
            bytes = bytes[(nl + 1)..];
        }
    }

    /// <summary>At end of stream: an event without its final blank line still counts.</summary>
    public void Complete(double time, Action<SseEvent> onEvent)
    {
        if (_line.WrittenCount > 0)
        {
            OnLine(_line.WrittenSpan, time, onEvent);
            _line.ResetWrittenCount();
        }
        Dispatch(time, onEvent);
    }

    private void OnLine(ReadOnlySpan<byte> line, double time, Action<SseEvent> onEvent)
    {
        if (!line.IsEmpty && line[^1] == '\r') line = line[..^1];
        if (line.IsEmpty)
        {
            Dispatch(time, onEvent);
            return;
        }
        if (!line.StartsWith("data:"u8)) return; // comments, event:, id:, retry: carry nothing we need
        var value = line[5..];
        if (!value.IsEmpty && value[0] == ' ') value = value[1..];
        if (_hasData) _data.Write("\n"u8);
        _data.Write(value);
        _hasData = true;
    }

    private void Dispatch(double time, Action<SseEvent> onEvent)
    {
        if (!_hasData) return;
        var data = _data.WrittenSpan.ToArray();
        _data.ResetWrittenCount();
        _hasData = false;
        onEvent(new SseEvent(time, data));
    }
}
