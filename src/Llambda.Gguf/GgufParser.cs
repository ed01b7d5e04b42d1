using System.Buffers.Binary;
using System.Text;

namespace Llambda.Gguf;

/// <summary>What the parser learned from a file's header, metadata and tensor directory.</summary>
internal sealed record GgufHeader(uint Version, GgufMetadata Metadata, IReadOnlyList<GgufTensorInfo> Tensors, uint Alignment, long DataOffset);

/// <summary>
/// Reads and validates everything before the data section. Nothing read from the file is trusted: every count,
/// length and offset is checked against the bytes that remain before it is used, so a hostile file can neither
/// read out of bounds nor make us allocate more than its own size.
/// </summary>
internal static unsafe class GgufParser
{
    private const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    private const int MaxDimensions = 4;    // ggml's GGML_MAX_DIMS
    private const int MaxArrayNesting = 8;

    public static GgufHeader Parse(byte* data, long length, string path)
    {
        var r = new Reader(data, length, path);

        if (length < 4) throw r.Error(0, $"file is {length} bytes, too short for a GGUF header");
        uint magic = r.U32();
        if (magic != Magic)
            throw r.Error(0, $"not a GGUF file (magic bytes {Convert.ToHexString(new ReadOnlySpan<byte>(data, 4))}, expected 47475546 \"GGUF\")");

        long versionAt = r.Position;
        uint version = r.U32();
        if (version == 1)
            throw r.Error(versionAt, "GGUF version 1 is not supported (it uses 32-bit counts; only versions 2 and 3 are read). Re-convert the model with a current llama.cpp");
        if (version is not (2 or 3))
        {
            string hint = BinaryPrimitives.ReverseEndianness(version) is 2 or 3 ? " (this looks like a big-endian GGUF, which is not supported)" : "";
            throw r.Error(versionAt, $"GGUF version {version} is not supported (only versions 2 and 3){hint}");
        }

        long tensorCountAt = r.Position;
        ulong tensorCount = r.U64();
        long kvCountAt = r.Position;
        ulong kvCount = r.U64();

        // Each metadata entry takes at least 8 (key length) + 4 (type) + 1 (smallest value) bytes, each tensor
        // entry at least 8 + 4 + 4 + 8; counts that cannot fit in the rest of the file are lies.
        if (kvCount > (ulong)(r.Remaining / 13))
            throw r.Error(kvCountAt, $"metadata count {kvCount} cannot fit in the {r.Remaining} bytes that follow");
        if (tensorCount > (ulong)(r.Remaining / 24))
            throw r.Error(tensorCountAt, $"tensor count {tensorCount} cannot fit in the {r.Remaining} bytes that follow");

        var metadata = new GgufMetadata();
        for (ulong i = 0; i < kvCount; i++)
        {
            long keyAt = r.Position;
            string key = r.String();
            if (key.Length == 0) throw r.Error(keyAt, $"metadata entry {i} has an empty key");
            long typeAt = r.Position;
            var type = (GgufValueType)r.U32();
            GgufValue value = ReadValue(ref r, type, typeAt, depth: 0);
            if (!metadata.TryAdd(key, value)) throw r.Error(keyAt, $"metadata key '{key}' appears twice");
        }

        uint alignment = DefaultAlignment(ref r, metadata);

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var offsetsAt = new long[(int)tensorCount];
        for (int i = 0; i < (int)tensorCount; i++)
        {
            long entryAt = r.Position;
            r.Charge(entryAt, 160); // the entry object, its dimensions, and its place in the lists and the name set
            string name = r.String();
            if (!names.Add(name)) throw r.Error(entryAt, $"tensor '{name}' appears twice");

            long dimsAt = r.Position;
            uint dimCount = r.U32();
            if (dimCount is 0 or > MaxDimensions)
                throw r.Error(dimsAt, $"tensor '{name}' has {dimCount} dimensions (1 to {MaxDimensions} allowed)");
            var dims = new long[dimCount];
            long elements = 1;
            for (int d = 0; d < dimCount; d++)
            {
                long dimAt = r.Position;
                ulong dim = r.U64();
                if (dim == 0 || dim > long.MaxValue)
                    throw r.Error(dimAt, $"tensor '{name}' dimension {d} is {dim}");
                dims[d] = (long)dim;
                if (elements > long.MaxValue / dims[d])
                    throw r.Error(dimAt, $"tensor '{name}' has more elements than fit in 64 bits");
                elements *= dims[d];
            }

            long typeAt = r.Position;
            var type = (GgmlType)r.U32();
            if (!GgmlTypeInfo.IsKnown(type))
                throw r.Error(typeAt, $"tensor '{name}' has unknown tensor type id {(uint)type}");
            int blockSize = GgmlTypeInfo.BlockSize(type);
            if (dims[0] % blockSize != 0)
                throw r.Error(dimsAt, $"tensor '{name}' has rows of {dims[0]} values, not a multiple of {type}'s block of {blockSize} values");
            long byteSize = GgmlTypeInfo.ByteCount(type, elements);
            if (byteSize < 0) throw r.Error(dimsAt, $"tensor '{name}' is too large");

            offsetsAt[i] = r.Position;
            ulong offset = r.U64();
            if (offset > long.MaxValue) throw r.Error(offsetsAt[i], $"tensor '{name}' offset {offset} is out of range");
            if (offset % alignment != 0)
                throw r.Error(offsetsAt[i], $"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}");
            tensors.Add(new GgufTensorInfo(name, type, dims, (long)offset, byteSize));
        }

        // The data section starts at the next multiple of the alignment after the directory.
        long dataOffset = AlignUp(r.Position, alignment);
        if (tensorCount > 0 && dataOffset > length)
            throw r.Error(r.Position, $"the data section would start at byte {dataOffset}, past the end of the {length}-byte file");
        long dataLength = Math.Max(0, length - dataOffset);
        for (int i = 0; i < tensors.Count; i++)
        {
            GgufTensorInfo t = tensors[i];
            if (t.Offset > dataLength || t.ByteSize > dataLength - t.Offset)
                throw r.Error(offsetsAt[i], $"tensor '{t.Name}' ({t.ByteSize} bytes at data offset {t.Offset}) runs past the end of the file: " +
                                            $"the data section holds {dataLength} bytes (truncated download?)");
        }

        return new GgufHeader(version, metadata, tensors, alignment, dataOffset);
    }

    private static uint DefaultAlignment(ref Reader r, GgufMetadata metadata)
    {
        if (!metadata.TryGetValue("general.alignment", out var v)) return GgufFile.DefaultAlignment;
        if (!v.TryGetInt64(out long a) || a <= 0 || a > 1 << 30 || (a & (a - 1)) != 0)
            throw r.Error(r.Position, $"general.alignment = {v} is not a power of two");
        return (uint)a;
    }

    private static long AlignUp(long offset, uint alignment) => (offset + alignment - 1) / alignment * alignment;

    private static GgufValue ReadValue(ref Reader r, GgufValueType type, long typeAt, int depth)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return GgufValue.FromUInt8(r.U8());
            case GgufValueType.Int8: return GgufValue.FromInt8((sbyte)r.U8());
            case GgufValueType.UInt16: return GgufValue.FromUInt16(r.U16());
            case GgufValueType.Int16: return GgufValue.FromInt16((short)r.U16());
            case GgufValueType.UInt32: return GgufValue.FromUInt32(r.U32());
            case GgufValueType.Int32: return GgufValue.FromInt32((int)r.U32());
            case GgufValueType.Float32: return GgufValue.FromFloat32(BitConverter.Int32BitsToSingle((int)r.U32()));
            case GgufValueType.Bool: return GgufValue.FromBool(r.Bool());
            case GgufValueType.String: return GgufValue.FromString(r.String());
            case GgufValueType.UInt64: return GgufValue.FromUInt64(r.U64());
            case GgufValueType.Int64: return GgufValue.FromInt64((long)r.U64());
            case GgufValueType.Float64: return GgufValue.FromFloat64(BitConverter.Int64BitsToDouble((long)r.U64()));
            case GgufValueType.Array: return ReadArray(ref r, depth);
            default: throw r.Error(typeAt, $"unknown metadata value type {(uint)type}");
        }
    }

    private static GgufValue ReadArray(ref Reader r, int depth)
    {
        if (depth >= MaxArrayNesting) throw r.Error(r.Position, $"arrays nested more than {MaxArrayNesting} deep");
        long typeAt = r.Position;
        var elementType = (GgufValueType)r.U32();
        long countAt = r.Position;
        ulong count = r.U64();
        int minSize = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
            GgufValueType.Array => 12,
            _ => throw r.Error(typeAt, $"unknown array element type {(uint)elementType}"),
        };
        if (count > (ulong)(r.Remaining / minSize))
            throw r.Error(countAt, $"array of {count} {elementType} values cannot fit in the {r.Remaining} bytes that follow");
        int n = (int)count;
        // An element of an array of arrays is 12 bytes in the file but an object and an array in memory; charge what
        // we will allocate so that nested empty arrays cannot multiply a small file into a large heap.
        r.Charge(countAt, (long)n * (elementType switch { GgufValueType.Array => 64, GgufValueType.String => 8, _ => minSize }) + 32);

        switch (elementType)
        {
            case GgufValueType.UInt8: return GgufValue.FromArray(elementType, r.Bytes(n).ToArray());
            case GgufValueType.Int8: return GgufValue.FromArray(elementType, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(r.Bytes(n)).ToArray());
            case GgufValueType.Bool:
            {
                var a = new bool[n];
                for (int i = 0; i < n; i++) a[i] = r.Bool();
                return GgufValue.FromArray(elementType, a);
            }
            case GgufValueType.UInt16: return GgufValue.FromArray(elementType, ReadPrimitives<ushort>(ref r, n));
            case GgufValueType.Int16: return GgufValue.FromArray(elementType, ReadPrimitives<short>(ref r, n));
            case GgufValueType.UInt32: return GgufValue.FromArray(elementType, ReadPrimitives<uint>(ref r, n));
            case GgufValueType.Int32: return GgufValue.FromArray(elementType, ReadPrimitives<int>(ref r, n));
            case GgufValueType.Float32: return GgufValue.FromArray(elementType, ReadPrimitives<float>(ref r, n));
            case GgufValueType.UInt64: return GgufValue.FromArray(elementType, ReadPrimitives<ulong>(ref r, n));
            case GgufValueType.Int64: return GgufValue.FromArray(elementType, ReadPrimitives<long>(ref r, n));
            case GgufValueType.Float64: return GgufValue.FromArray(elementType, ReadPrimitives<double>(ref r, n));
            case GgufValueType.String:
            {
                var a = new string[n];
                for (int i = 0; i < n; i++) a[i] = r.String();
                return GgufValue.FromArray(elementType, a);
            }
            default:
            {
                var a = new GgufValue[n];
                for (int i = 0; i < n; i++) a[i] = ReadValue(ref r, GgufValueType.Array, typeAt, depth + 1);
                return GgufValue.FromArray(elementType, a);
            }
        }
    }

    private static T[] ReadPrimitives<T>(ref Reader r, int n) where T : unmanaged
    {
        ReadOnlySpan<byte> raw = r.Bytes(checked(n * sizeof(T)));
        var result = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GGUF is little-endian; big-endian hosts are not supported.");
        return result;
    }

    /// <summary>A bounds-checked little-endian cursor over the file's bytes.</summary>
    private ref struct Reader
    {
        private const int MaxInvalidStringBytes = 1024;
        private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
        private readonly byte* _data;
        private readonly long _length;
        private readonly string _path;

        public Reader(byte* data, long length, string path)
        {
            _data = data;
            _length = length;
            _path = path;
        }

        public long Position { get; private set; }
        public readonly long Remaining => _length - Position;

        /// <summary>
        /// Bytes we have allocated for what we read, estimated. Strings (UTF-16) and objects take more room than their
        /// encoding, so a real file legitimately costs up to a few times its header; a hostile one is cut off at
        /// <see cref="AllocationBudget"/> instead of multiplying a small file into a large heap.
        /// </summary>
        private long _charged;

        private readonly long AllocationBudget => 4 * _length + (1 << 20);

        public readonly GgufFormatException Error(long offset, string problem) => new(_path, offset, problem);

        public void Charge(long offset, long bytes)
        {
            _charged += bytes;
            if (_charged > AllocationBudget)
                throw Error(offset, $"metadata and tensor directory would take more memory ({_charged} bytes) than a {_length}-byte file can describe");
        }

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > Remaining)
                throw Error(Position, $"needs {count} bytes but the file ends after {Remaining} (truncated?)");
            var span = new ReadOnlySpan<byte>(_data + Position, count);
            Position += count;
            return span;
        }

        public byte U8() => Bytes(1)[0];
        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));
        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

        public bool Bool()
        {
            long at = Position;
            byte b = U8();
            return b switch
            {
                0 => false,
                1 => true,
                _ => throw Error(at, $"bool value {b} is neither 0 nor 1"),
            };
        }

        public string String()
        {
            long at = Position;
            ulong length = U64();
            if (length > (ulong)Remaining)
                throw Error(at, $"string of {length} bytes runs past the end of the file ({Remaining} bytes left)");
            if (length > int.MaxValue) throw Error(at, $"string of {length} bytes is too long");
            Charge(at, 24 + 2 * (long)length); // a .NET string: header plus UTF-16
            ReadOnlySpan<byte> bytes = Bytes((int)length);
            // Strings are UTF-8 by the spec. A few vocabularies hold short tokens that are not (lone bytes); those are
            // kept with replacement characters. A long invalid run is not text at all: an offset gone wrong.
            if (bytes.Length > MaxInvalidStringBytes && !System.Text.Unicode.Utf8.IsValid(bytes))
                throw Error(at, $"string of {length} bytes is not valid UTF-8");
            return s_utf8.GetString(bytes);
        }
    }
}
