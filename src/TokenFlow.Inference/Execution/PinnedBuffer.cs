namespace TokenFlow.Inference.Execution;

/// <summary>A pinned float array that only grows, so steady-state passes allocate nothing.</summary>
internal sealed unsafe class PinnedBuffer
{
    private float[] _data = GC.AllocateArray<float>(16, pinned: true);

    public float* Ensure(long floats)
    {
        if (_data.Length < floats) _data = GC.AllocateArray<float>((int)Math.Max(floats, _data.Length * 3L / 2), pinned: true);
        return Pointer;
    }

    public float* Pointer => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _data[0]);
    public Span<float> Span(long offset, int length) => _data.AsSpan((int)offset, length);
}
