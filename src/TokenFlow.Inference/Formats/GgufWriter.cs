using System.Text;

namespace TokenFlow.Inference.Formats;

/// <summary>
/// Writes a standard GGUF v3 file: header, metadata, tensor infos, then 32-byte-aligned tensor data
/// streamed by callbacks, so multi-gigabyte models never sit in memory at once.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;

    private readonly List<(string Key, uint Type, object Value)> _meta = new();
    private readonly List<(string Name, long[] Dims, GgmlType Type, Action<Stream> Write, long Bytes)> _tensors = new();

    public void Add(string key, string value) => _meta.Add((key, 8, value));
    public void Add(string key, uint value) => _meta.Add((key, 4, value));
    public void Add(string key, int value) => _meta.Add((key, 5, value));
    public void Add(string key, float value) => _meta.Add((key, 6, value));
    public void Add(string key, bool value) => _meta.Add((key, 7, value));
    public void Add(string key, string[] value) => _meta.Add((key, 9, value));
    public void Add(string key, float[] value) => _meta.Add((key, 9, value));
    public void Add(string key, int[] value) => _meta.Add((key, 9, value));

    /// <summary>Adds a metadata value as <see cref="GgufFile"/> reads it (copying keys from one file to another).</summary>
    public void AddValue(string key, object value) => _meta.Add((key, value switch
    {
        byte => 0u, sbyte => 1u, ushort => 2u, short => 3u, uint => 4u, int => 5u, float => 6u, bool => 7u, string => 8u,
        ulong => 10u, long => 11u, double => 12u, Array => 9u,
        _ => throw new ArgumentException($"metadata '{key}': cannot write a {value.GetType().Name}"),
    }, value));

    /// <summary>Adds a tensor; dims innermost first; <paramref name="write"/> must write exactly the tensor's bytes.</summary>
    public void AddTensor(string name, long[] dims, GgmlType type, Action<Stream> write)
    {
        var rows = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
        var rowBytes = GgmlTypeInfo.RowBytes(type, dims[0]);
        if (rowBytes < 0) throw new ArgumentException($"tensor {name}: {type} rows of {dims[0]} are not whole blocks");
        _tensors.Add((name, dims, type, write, rowBytes * rows));
    }

    /// <summary>Adds a tensor of any type with an explicit byte size (tests write unsupported types this way).</summary>
    public void AddRawTensor(string name, long[] dims, GgmlType type, long bytes, Action<Stream> write) => _tensors.Add((name, dims, type, write, bytes));

    public void WriteTo(Stream stream)
    {
        var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_meta.Count);
        foreach (var (key, type, value) in _meta)
        {
            WriteString(w, key);
            w.Write(type);
            switch (value)
            {
                case string s: WriteString(w, s); break;
                case uint u: w.Write(u); break;
                case int i: w.Write(i); break;
                case float f: w.Write(f); break;
                case bool b: w.Write((byte)(b ? 1 : 0)); break;
                case string[] a: w.Write(8u); w.Write((ulong)a.Length); foreach (var s in a) WriteString(w, s); break;
                case float[] a: w.Write(6u); w.Write((ulong)a.Length); foreach (var f in a) w.Write(f); break;
                case int[] a: w.Write(5u); w.Write((ulong)a.Length); foreach (var i in a) w.Write(i); break;
                case uint[] a: w.Write(4u); w.Write((ulong)a.Length); foreach (var i in a) w.Write(i); break;
                case bool[] a: w.Write(7u); w.Write((ulong)a.Length); foreach (var i in a) w.Write((byte)(i ? 1 : 0)); break;
                case byte x: w.Write(x); break;
                case sbyte x: w.Write(x); break;
                case ushort x: w.Write(x); break;
                case short x: w.Write(x); break;
                case ulong x: w.Write(x); break;
                case long x: w.Write(x); break;
                case double x: w.Write(x); break;
                default: throw new InvalidOperationException($"metadata '{key}': cannot write a {value.GetType().Name}");
            }
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = Align(offset + t.Bytes);
        }
        w.Flush();
        Pad(stream);
        foreach (var t in _tensors)
        {
            var start = stream.Position;
            t.Write(stream);
            if (stream.Position - start != t.Bytes) throw new InvalidOperationException($"tensor {t.Name}: wrote {stream.Position - start} bytes, expected {t.Bytes}");
            Pad(stream);
        }
        stream.Flush();
    }

    private static long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream s)
    {
        var pad = (int)(Align(s.Position) - s.Position);
        for (var i = 0; i < pad; i++) s.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
