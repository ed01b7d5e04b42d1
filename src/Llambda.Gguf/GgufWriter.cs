using System.Buffers.Binary;
using System.Text;

namespace Llambda.Gguf;

/// <summary>
/// Writes GGUF version 3: metadata in insertion order, the tensor directory, then each tensor's bytes padded to
/// the alignment. Tensor bytes are supplied by a callback so a multi-gigabyte model can be streamed
/// (from another file's map, or from a quantizer) without holding it in memory.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<PendingTensor> _tensors = [];

    public GgufMetadata Metadata { get; } = new();

    /// <summary>Adds a tensor whose <paramref name="writeData"/> callback writes exactly its byte size.</summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(writeData);
        if (dimensions.Length is 0 or > 4) throw new ArgumentException("A tensor has 1 to 4 dimensions.", nameof(dimensions));
        long elements = 1;
        foreach (long d in dimensions)
        {
            if (d <= 0) throw new ArgumentException($"Tensor '{name}' has a dimension of {d}.", nameof(dimensions));
            elements = checked(elements * d);
        }
        if (dimensions[0] % GgmlTypeInfo.BlockSize(type) != 0)
            throw new ArgumentException($"Tensor '{name}': rows of {dimensions[0]} values are not whole {type} blocks.", nameof(dimensions));
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        _tensors.Add(new PendingTensor(name, type, (long[])dimensions.Clone(), GgmlTypeInfo.ByteCount(type, elements), writeData));
    }

    /// <summary>Adds a tensor from bytes in memory.</summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        long expected = GgmlTypeInfo.ByteCount(type, dimensions.Aggregate(1L, (a, b) => checked(a * b)));
        if (data.Length != expected)
            throw new ArgumentException($"Tensor '{name}' needs {expected} bytes, got {data.Length}.", nameof(data));
        AddTensor(name, type, dimensions, s => s.Write(data.Span));
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> (through a temporary name, renamed when complete). With
    /// <paramref name="sparse"/>, runs of zero bytes are skipped instead of written, leaving holes: a file of
    /// all-zero tensors (a shape stand-in for planning and bandwidth) then takes almost no disk.
    /// </summary>
    public void WriteTo(string path, bool sparse = false)
    {
        // Write beside the target and rename, so a crash never leaves a half-written model under the final name.
        string temp = path + ".partial";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                if (sparse)
                {
                    using var holes = new HoleWritingStream(stream);
                    WriteTo(holes);
                    stream.SetLength(stream.Position); // a trailing hole still counts in the file's length
                }
                else
                {
                    WriteTo(stream);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public void WriteTo(Stream stream)
    {
        uint alignment = Metadata.TryGetValue("general.alignment", out var a) && a.TryGetInt64(out long al) ? (uint)al : GgufFile.DefaultAlignment;
        var output = new CountingStream(stream);
        var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);

        w.Write(0x46554747u); // "GGUF"
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)Metadata.Count);
        foreach (var (key, value) in Metadata)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value);
        }

        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dimensions.Length);
            foreach (long d in t.Dimensions) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset += Align(t.ByteSize, alignment);
        }
        w.Flush();
        Pad(output, alignment);

        foreach (var t in _tensors)
        {
            long start = output.Position;
            t.WriteData(output);
            long written = output.Position - start;
            if (written != t.ByteSize)
                throw new InvalidOperationException($"Tensor '{t.Name}' wrote {written} bytes, expected {t.ByteSize}.");
            Pad(output, alignment);
        }
        output.Flush();
    }

    private static long Align(long n, uint alignment) => (n + alignment - 1) / alignment * alignment;

    private static void Pad(CountingStream s, uint alignment)
    {
        long pad = Align(s.Position, alignment) - s.Position;
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (pad > 0)
        {
            int n = (int)Math.Min(pad, zeros.Length);
            s.Write(zeros[..n]);
            pad -= n;
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValue v)
    {
        switch (v.Value)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case string x: WriteString(w, x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case Array array:
                w.Write((uint)v.ElementType);
                w.Write((ulong)array.Length);
                if (array is GgufValue[] nested)
                {
                    // Elements of an array of arrays carry no type tag of their own: each is (element type, count, values).
                    foreach (var item in nested) WriteValue(w, item);
                }
                else
                {
                    foreach (object? item in array) WriteValue(w, Box(item!, v.ElementType));
                }
                break;
            default: throw new InvalidOperationException($"Cannot write a metadata value of type {v.Value.GetType()}.");
        }
    }

    private static GgufValue Box(object item, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => GgufValue.FromUInt8((byte)item),
        GgufValueType.Int8 => GgufValue.FromInt8((sbyte)item),
        GgufValueType.UInt16 => GgufValue.FromUInt16((ushort)item),
        GgufValueType.Int16 => GgufValue.FromInt16((short)item),
        GgufValueType.UInt32 => GgufValue.FromUInt32((uint)item),
        GgufValueType.Int32 => GgufValue.FromInt32((int)item),
        GgufValueType.Float32 => GgufValue.FromFloat32((float)item),
        GgufValueType.Bool => GgufValue.FromBool((bool)item),
        GgufValueType.String => GgufValue.FromString((string)item),
        GgufValueType.UInt64 => GgufValue.FromUInt64((ulong)item),
        GgufValueType.Int64 => GgufValue.FromInt64((long)item),
        GgufValueType.Float64 => GgufValue.FromFloat64((double)item),
        _ => throw new InvalidOperationException($"Unexpected array element type {type}."),
    };

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize, Action<Stream> WriteData);

    /// <summary>Seeks over writes that are all zero bytes instead of writing them (the file system leaves a hole).</summary>
    private sealed class HoleWritingStream(FileStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Position;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (buffer.ContainsAnyExcept((byte)0)) inner.Write(buffer);
            else inner.Seek(buffer.Length, SeekOrigin.Current);
        }
    }

    /// <summary>Counts bytes written so padding works on streams that cannot seek.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _position;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _position;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            _position += buffer.Length;
        }
    }
}
