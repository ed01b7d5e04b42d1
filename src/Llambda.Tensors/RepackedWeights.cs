using Llambda.Gguf;
using System.Runtime.InteropServices;

namespace Llambda.Tensors;

/// <summary>
/// Owns the 8-row interleaved copies of the weight matrices that llama.cpp repacks on AVX2 (Q4_0, IQ4_NL, Q4_K; see
/// <see cref="Kernels.Interleaved"/>): native memory, counted in <see cref="Bytes"/>, freed on dispose or finalization.
/// The copies are built from the file with positioned reads, not through the memory map, so the mapped pages of a
/// repacked tensor are never touched and never count in the process's resident memory.
/// </summary>
public sealed unsafe class RepackedWeights : IDisposable
{
    private readonly List<nint> _blocks = [];
    private readonly object _gate = new();

    /// <summary>Bytes of native memory held by the copies.</summary>
    public long Bytes { get; private set; }

    /// <summary>Number of matrices copied.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Returns <paramref name="w"/> with <see cref="WeightMatrix.RepackOrder"/> set and, when the AVX2 kernels are in use,
    /// an interleaved copy attached. <paramref name="file"/>/<paramref name="fileOffset"/> locate the matrix's bytes in
    /// the GGUF file on disk (null: read them from <see cref="WeightMatrix.Data"/>).
    /// </summary>
    public WeightMatrix Repack(WeightMatrix w, SafeHandleReader? file, long fileOffset)
    {
        if (!w.CanRepack) return w;
        if (!KernelOptions.UseAvx2) return new WeightMatrix(w.Type, w.Rows, w.Cols, w.Data) { RepackOrder = true };
        long size = w.PackedByteSize;
        byte* dst = (byte*)NativeMemory.AlignedAlloc((nuint)size, 64);
        lock (_gate)
        {
            _blocks.Add((nint)dst);
            Bytes += size;
            Count++;
        }
        var packedView = new WeightMatrix(w.Type, w.Rows, w.Cols, w.Data);
        if (file == null)
        {
            packedView.PackInto(dst);
        }
        else
        {
            // read a slab of whole 8-row groups at a time (about 1 MiB) and pack it
            long groupSrc = 8 * w.RowBytes;
            long groupDst = Kernels.Interleaved.GroupBytes(w.Type, w.Cols);
            int groupsPerSlab = (int)Math.Max(1, (1 << 20) / groupSrc);
            byte[] slab = GC.AllocateUninitializedArray<byte>(checked((int)(groupsPerSlab * groupSrc)), pinned: true);
            int groups = w.Rows / 8;
            fixed (byte* ps = slab)
            {
                for (int g0 = 0; g0 < groups; g0 += groupsPerSlab)
                {
                    int ng = Math.Min(groupsPerSlab, groups - g0);
                    file.ReadExactly(slab.AsSpan(0, (int)(ng * groupSrc)), fileOffset + g0 * groupSrc);
                    for (int g = 0; g < ng; g++)
                        Kernels.Interleaved.PackGroup(w.Type, ps + g * groupSrc, w.RowBytes, w.Cols, dst + (g0 + g) * groupDst);
                }
            }
        }
        return new WeightMatrix(w.Type, w.Rows, w.Cols, w.Data) { RepackOrder = true, Packed = dst };
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~RepackedWeights() => Free();

    private void Free()
    {
        lock (_gate)
        {
            foreach (nint p in _blocks) NativeMemory.AlignedFree((void*)p);
            _blocks.Clear();
        }
    }
}

/// <summary>Positioned reads of a file (no shared position, safe from several threads).</summary>
public sealed class SafeHandleReader : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;

    public SafeHandleReader(string path) =>
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);

    public void ReadExactly(Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int n = RandomAccess.Read(_handle, buffer, offset);
            if (n <= 0) throw new EndOfStreamException($"The file ended at offset {offset}.");
            buffer = buffer[n..];
            offset += n;
        }
    }

    public void Dispose() => _handle.Dispose();
}
