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

    /// <summary>Total bytes of the matrix.</summary>
    public long ByteSize => RowBytes * Rows;

    /// <summary>Pointer to the start of row <paramref name="r"/>.</summary>
    public byte* Row(int r) => Data + r * RowBytes;

    /// <summary>The bytes of row <paramref name="r"/>.</summary>
    public ReadOnlySpan<byte> RowSpan(int r) => new(Data + r * RowBytes, checked((int)RowBytes));
}
