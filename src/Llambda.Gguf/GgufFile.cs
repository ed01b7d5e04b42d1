using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Llambda.Gguf;

/// <summary>
/// A GGUF model file, memory-mapped and validated. Metadata and the tensor directory are parsed at open;
/// tensor bytes stay in the map and are handed out as views, never copied.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>The alignment of the data section when <c>general.alignment</c> is absent.</summary>
    public const uint DefaultAlignment = 32;

    private readonly MappedBytes _bytes;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(MappedBytes bytes, string path, GgufHeader header)
    {
        _bytes = bytes;
        Path = path;
        Version = header.Version;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        Alignment = header.Alignment;
        DataOffset = header.DataOffset;
        _tensorsByName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public uint Version { get; }
    public GgufMetadata Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    public uint Alignment { get; }

    /// <summary>Absolute offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    public long FileSize => _bytes.Length;

    /// <summary>Maps and validates a file. Throws <see cref="GgufFormatException"/> for anything it will not trust.</summary>
    public static GgufFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = MappedBytes.Map(path);
        try
        {
            return new GgufFile(bytes, path, GgufParser.Parse(bytes.Pointer, bytes.Length, path));
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    /// <summary>Parses a GGUF image held in memory (tests, fuzzing, downloads being checked). The bytes are copied once.</summary>
    public static GgufFile FromBytes(ReadOnlySpan<byte> image, string name = "<memory>")
    {
        var bytes = MappedBytes.Copy(image);
        try
        {
            return new GgufFile(bytes, name, GgufParser.Parse(bytes.Pointer, bytes.Length, name));
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    public GgufTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new KeyNotFoundException($"{Path}: the model has no tensor '{name}'.");

    /// <summary>The tensor's bytes as a view into the map (tensors over 2 GiB: use <see cref="GetTensorPointer"/>).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue)
            throw new NotSupportedException($"Tensor '{tensor.Name}' is {tensor.ByteSize} bytes, too large for a span; use GetTensorPointer.");
        return new ReadOnlySpan<byte>(GetTensorPointer(tensor), (int)tensor.ByteSize);
    }

    /// <summary>A pointer to the tensor's first byte, valid until this file is disposed.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_bytes.IsDisposed, this);
        if (!_tensorsByName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to {Path}.", nameof(tensor));
        return _bytes.Pointer + DataOffset + tensor.Offset;
    }

    public void Dispose() => _bytes.Dispose();

    /// <summary>Owns the bytes of a file: a read-only memory map, or native memory holding a copy.</summary>
    private sealed class MappedBytes : IDisposable
    {
        private MemoryMappedFile? _map;
        private MemoryMappedViewAccessor? _view;
        private byte* _native;

        public byte* Pointer { get; private set; }
        public long Length { get; private set; }
        public bool IsDisposed { get; private set; }

        public static MappedBytes Map(string path)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new FileNotFoundException($"Model file not found: {path}", path, e);
            }

            var result = new MappedBytes { Length = stream.Length };
            if (result.Length == 0)
            {
                stream.Dispose();
                result.Pointer = (byte*)NativeMemory.Alloc(1);
                result._native = result.Pointer;
                return result;
            }
            try
            {
                result._map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                result._view = result._map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* p = null;
                result._view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                result.Pointer = p + result._view.PointerOffset;
                return result;
            }
            catch
            {
                result.Dispose();
                stream.Dispose();
                throw;
            }
        }

        public static MappedBytes Copy(ReadOnlySpan<byte> image)
        {
            var result = new MappedBytes { Length = image.Length };
            result._native = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, image.Length));
            result.Pointer = result._native;
            image.CopyTo(new Span<byte>(result._native, image.Length));
            return result;
        }

        public void Dispose()
        {
            if (IsDisposed) return;
            IsDisposed = true;
            if (_view != null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
            }
            _map?.Dispose();
            if (_native != null) NativeMemory.Free(_native);
            _native = null;
            Pointer = null;
        }
    }
}
