namespace Llambda.Gguf;

/// <summary>
/// One entry of the tensor directory. <see cref="Dimensions"/> is in ggml order: <c>Dimensions[0]</c> is the
/// innermost (row) length, so a weight matrix of R rows by C columns has dimensions [C, R].
/// </summary>
public sealed class GgufTensorInfo
{
    public GgufTensorInfo(string name, GgmlType type, long[] dimensions, long offset, long byteSize)
    {
        Name = name;
        Type = type;
        Dimensions = dimensions;
        Offset = offset;
        ByteSize = byteSize;
        long n = 1;
        foreach (long d in dimensions) n *= d;
        ElementCount = n;
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public long[] Dimensions { get; }

    /// <summary>Offset of the tensor's bytes from the start of the data section.</summary>
    public long Offset { get; }

    /// <summary>Size in bytes (whole blocks of <see cref="Type"/>).</summary>
    public long ByteSize { get; }

    public long ElementCount { get; }

    /// <summary>Values per row (<c>Dimensions[0]</c>).</summary>
    public long RowLength => Dimensions.Length > 0 ? Dimensions[0] : 1;

    /// <summary>Number of rows: the product of every dimension after the first.</summary>
    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dimensions)}]";
}
