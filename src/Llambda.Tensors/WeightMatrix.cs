using Llambda.Gguf;

namespace Llambda.Tensors;

/// <summary>
/// A row-major weight matrix in ggml layout: <see cref="Rows"/> rows of <see cref="Cols"/> values each
/// (ggml ne0 = Cols, ne1 = Rows), stored as consecutive rows of <see cref="Type"/> blocks at <see cref="Data"/>.
/// The memory is not owned (typically a memory-mapped GGUF tensor).
/// </summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(GgmlType type, int rows, int cols, byte* data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        long rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        if (rowBytes < 0) throw new ArgumentException($"{cols} columns is not a whole number of {type} blocks.", nameof(cols));
        Type = type;
        Rows = rows;
        Cols = cols;
        RowBytes = rowBytes;
        Data = data;
    }

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public long RowBytes { get; }
    public byte* Data { get; }

    /// <summary>
    /// True when llama.cpp's CPU backend would repack this matrix (Q4_0, IQ4_NL, Q4_K with a multiple of 8 rows, used
    /// by matrix products): every output is then accumulated in its repacked kernels' order (see
    /// <see cref="Kernels.Interleaved"/>). Set by the model binder; the token embedding table keeps the vec_dot order.
    /// </summary>
    public bool RepackOrder { get; init; }

    /// <summary>An 8-row interleaved copy of the matrix (<see cref="Kernels.Interleaved"/> layout), or null.</summary>
    public byte* Packed { get; init; }

    /// <summary>True when <see cref="Packed"/> holds the interleaved copy the AVX2 kernels read.</summary>
    public bool IsPacked => Packed != null;

    /// <summary>True when this matrix's type and row count are the ones llama.cpp repacks on AVX2.</summary>
    public bool CanRepack => Kernels.Interleaved.IsRepackedType(Type, Rows);

    /// <summary>Bytes of the interleaved copy (0 when the type is not repacked).</summary>
    public long PackedByteSize => CanRepack ? Kernels.Interleaved.PackedBytes(Type, Rows, Cols) : 0;

    /// <summary>
    /// Writes the interleaved copy of this matrix to <paramref name="destination"/> (<see cref="PackedByteSize"/> bytes),
    /// reading the rows from <paramref name="source"/> (the original layout; by default <see cref="Data"/>) group by group.
    /// </summary>
    public void PackInto(byte* destination, byte* source = null)
    {
        if (!CanRepack) throw new NotSupportedException($"{Type} with {Rows} rows is not repacked.");
        byte* src = source == null ? Data : source;
        long groupBytes = Kernels.Interleaved.GroupBytes(Type, Cols);
        for (int g = 0; g < Rows / Kernels.Interleaved.Rows; g++)
            Kernels.Interleaved.PackGroup(Type, src + (long)g * 8 * RowBytes, RowBytes, Cols, destination + g * groupBytes);
    }

    /// <summary>Total bytes of the matrix.</summary>
    public long ByteSize => RowBytes * Rows;

    /// <summary>Pointer to the start of row <paramref name="r"/>.</summary>
    public byte* Row(int r) => Data + (long)r * RowBytes;

    /// <summary>The bytes of row <paramref name="r"/>.</summary>
    public ReadOnlySpan<byte> RowSpan(int r) => new(Data + (long)r * RowBytes, checked((int)RowBytes));
}
