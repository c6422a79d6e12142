using System.Text;

namespace TokenFlow.Inference.Formats;

/// <summary>
/// A parsed GGUF v2/v3 file: metadata, tensor infos and the mapped data section. Every read is
/// bounds-checked, so a corrupt or truncated file gives an <see cref="InvalidDataException"/>
/// naming the file and what is wrong.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian

    private GgufFile(MappedFile file, uint version, Dictionary<string, object> metadata, List<GgufTensorInfo> tensors, long dataOffset)
    {
        File = file;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        TensorsByName = tensors.ToDictionary(t => t.Name);
        DataOffset = dataOffset;
    }

    public MappedFile File { get; }
    public string Path => File.Path;
    public uint Version { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, GgufTensorInfo> TensorsByName { get; }
    public long DataOffset { get; }

    public static bool HasMagic(string path)
    {
        using var fs = System.IO.File.OpenRead(path);
        Span<byte> b = stackalloc byte[4];
        return fs.Read(b) == 4 && BitConverter.ToUInt32(b) == Magic;
    }

    public static GgufFile Open(string path)
    {
        var file = new MappedFile(path);
        try { return Parse(file); }
        catch { file.Dispose(); throw; }
    }

    private static GgufFile Parse(MappedFile file)
    {
        var r = new Reader(file);
        if (r.U32() != Magic) throw r.Error("not a GGUF file (bad magic)");
        var version = r.U32();
        if (version is not (2 or 3)) throw r.Error($"unsupported GGUF version {version} (expected 2 or 3)");
        var tensorCount = r.U64();
        var kvCount = r.U64();
        if (tensorCount > 1_000_000) throw r.Error($"implausible tensor count {tensorCount}");
        if (kvCount > 1_000_000) throw r.Error($"implausible metadata count {kvCount}");
        var meta = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = r.Str();
            var type = r.U32();
            meta[key] = r.Value(type, key);
        }
        var infos = new List<(string, long[], GgmlType, ulong)>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = r.Str();
            var nd = r.U32();
            if (nd is 0 or > 4) throw r.Error($"tensor '{name}' has {nd} dimensions");
            var dims = new long[nd];
            for (var d = 0; d < nd; d++)
            {
                var v = r.U64();
                if (v == 0 || v > (1UL << 40)) throw r.Error($"tensor '{name}' has bad dimension {v}");
                dims[d] = (long)v;
            }
            infos.Add((name, dims, (GgmlType)r.U32(), r.U64()));
        }
        long alignment = 32;
        if (meta.TryGetValue("general.alignment", out var a))
        {
            alignment = Convert.ToInt64(a);
            if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw r.Error($"general.alignment {alignment} is not a power of two");
        }
        var dataOffset = (r.Position + alignment - 1) / alignment * alignment;
        var tensors = new List<GgufTensorInfo>(infos.Count);
        var names = new HashSet<string>();
        foreach (var (name, dims, type, off) in infos)
        {
            if (!names.Add(name)) throw r.Error($"tensor '{name}' appears twice");
            var elements = dims.Aggregate(1L, (x, y) => x * y);
            long bytes = -1;
            if (GgmlTypeInfo.IsSupported(type))
            {
                var rowBytes = GgmlTypeInfo.RowBytes(type, dims[0]);
                if (rowBytes < 0) throw r.Error($"tensor '{name}' ({GgmlTypeInfo.Name(type)}) row of {dims[0]} does not split into whole blocks");
                bytes = rowBytes * (elements / dims[0]);
            }
            var abs = dataOffset + (long)off;
            if (off > (ulong)file.Length || (bytes >= 0 && abs + bytes > file.Length))
                throw new InvalidDataException($"{file.Path}: truncated: tensor '{name}' ({GgmlTypeInfo.Name(type)}, {string.Join('×', dims)}) needs bytes up to {abs + Math.Max(bytes, 0)} but the file has {file.Length}");
            tensors.Add(new GgufTensorInfo(name, dims, type, abs, bytes));
        }
        return new GgufFile(file, version, meta, tensors, dataOffset);
    }

    public T? Get<T>(string key) where T : class => Metadata.TryGetValue(key, out var v) ? v as T : null;

    public bool TryGetNumber(string key, out double value)
    {
        value = 0;
        if (!Metadata.TryGetValue(key, out var v)) return false;
        switch (v)
        {
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double:
                value = Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture);
                return true;
            default:
                throw new InvalidDataException($"{Path}: metadata '{key}' is {v.GetType().Name}, expected a number");
        }
    }

    public long RequireInt(string key)
    {
        if (!TryGetNumber(key, out var v)) throw new InvalidDataException($"{Path}: missing metadata '{key}'");
        return (long)v;
    }

    public byte* TensorData(GgufTensorInfo t) => File.Base + t.Offset;

    public void Dispose() => File.Dispose();

    private sealed class Reader(MappedFile file)
    {
        public long Position;

        public InvalidDataException Error(string what) => new($"{file.Path}: {what} (at byte {Position})");

        private byte* Take(long n)
        {
            if (n < 0 || Position + n > file.Length) throw new InvalidDataException($"{file.Path}: truncated GGUF header (needs {n} bytes at byte {Position}, file has {file.Length})");
            var p = file.Base + Position;
            Position += n;
            return p;
        }

        public uint U32() => *(uint*)Take(4);
        public ulong U64() => *(ulong*)Take(8);

        public string Str()
        {
            var len = U64();
            if (len > (ulong)(file.Length - Position)) throw Error($"string length {len} runs past the end of the file");
            return Encoding.UTF8.GetString(Take((long)len), (int)len);
        }

        public object Value(uint type, string key) => type switch
        {
            0 => *Take(1),
            1 => (sbyte)*Take(1),
            2 => *(ushort*)Take(2),
            3 => *(short*)Take(2),
            4 => U32(),
            5 => *(int*)Take(4),
            6 => *(float*)Take(4),
            7 => *Take(1) != 0,
            8 => Str(),
            9 => Array(key),
            10 => U64(),
            11 => *(long*)Take(8),
            12 => *(double*)Take(8),
            _ => throw Error($"metadata '{key}' has unknown value type {type}"),
        };

        private object Array(string key)
        {
            var type = U32();
            var count = U64();
            if (count > (ulong)(file.Length - Position)) throw Error($"metadata array '{key}' of {count} items runs past the end of the file");
            var n = (int)count;
            switch (type)
            {
                case 8:
                    var s = new string[n];
                    for (var i = 0; i < n; i++) s[i] = Str();
                    return s;
                case 6: return Copy<float>(n);
                case 5: return Copy<int>(n);
                case 4: return Copy<uint>(n);
                case 0: return Copy<byte>(n);
                case 1: return Copy<sbyte>(n);
                case 2: return Copy<ushort>(n);
                case 3: return Copy<short>(n);
                case 7: return Copy<byte>(n).Select(b => b != 0).ToArray();
                case 10: return Copy<ulong>(n);
                case 11: return Copy<long>(n);
                case 12: return Copy<double>(n);
                case 9: throw Error($"metadata '{key}' is a nested array (not supported)");
                default: throw Error($"metadata array '{key}' has unknown item type {type}");
            }
        }

        private T[] Copy<T>(int n) where T : unmanaged
        {
            var p = Take((long)n * sizeof(T));
            return new ReadOnlySpan<T>(p, n).ToArray();
        }
    }
}
