#:project ../../src/Llambda.Gguf/Llambda.Gguf.csproj
#:property PublishAot=false
// Writes a llama-shaped GGUF of a real model's dimensions with all-zero weights, as a SPARSE file: the tensor
// data is never written, so a 7B model takes no disk. Speed does not depend on weight values, and `plan` needs
// only the metadata and tensor sizes, so these stand in for TinyLlama-1.1B and Llama-2-7B in benchmarks and plans.
//   dotnet run bench/synth/synth.cs -- OUT.gguf 1.1b|7b Q4_0|Q8_0|F16
using Llambda.Gguf;

string output = args[0];
var shape = args[1] switch
{
    "1.1b" => (Name: "synth-tinyllama-1.1b", Dim: 2048, Layers: 22, Heads: 32, KvHeads: 4, Ffn: 5632, Vocab: 32000, Ctx: 2048),
    "7b" => (Name: "synth-llama2-7b", Dim: 4096, Layers: 32, Heads: 32, KvHeads: 32, Ffn: 11008, Vocab: 32000, Ctx: 4096),
    _ => throw new ArgumentException("shape: 1.1b or 7b"),
};
var type = Enum.Parse<GgmlType>(args[2]);
var w = new GgufWriter();
w.Metadata.Set("general.architecture", GgufValue.FromString("llama"));
w.Metadata.Set("general.name", GgufValue.FromString(shape.Name));
w.Metadata.Set("llama.context_length", GgufValue.FromUInt32((uint)shape.Ctx));
w.Metadata.Set("llama.embedding_length", GgufValue.FromUInt32((uint)shape.Dim));
w.Metadata.Set("llama.block_count", GgufValue.FromUInt32((uint)shape.Layers));
w.Metadata.Set("llama.feed_forward_length", GgufValue.FromUInt32((uint)shape.Ffn));
w.Metadata.Set("llama.rope.dimension_count", GgufValue.FromUInt32((uint)(shape.Dim / shape.Heads)));
w.Metadata.Set("llama.attention.head_count", GgufValue.FromUInt32((uint)shape.Heads));
w.Metadata.Set("llama.attention.head_count_kv", GgufValue.FromUInt32((uint)shape.KvHeads));
w.Metadata.Set("llama.attention.layer_norm_rms_epsilon", GgufValue.FromFloat32(1e-5f));
w.Metadata.Set("llama.rope.freq_base", GgufValue.FromFloat32(10000f));
w.Metadata.Set("general.file_type", GgufValue.FromUInt32(type switch { GgmlType.Q4_0 => 2u, GgmlType.Q8_0 => 7u, GgmlType.F16 => 1u, _ => 0u }));
// A byte-level vocabulary of the right size so the tokenizer loads: 256 byte tokens, then filler pieces.
var tokens = new string[shape.Vocab];
var scores = new float[shape.Vocab];
var kinds = new int[shape.Vocab];
tokens[0] = "<unk>"; tokens[1] = "<s>"; tokens[2] = "</s>"; kinds[0] = 2; kinds[1] = 3; kinds[2] = 3;
for (int i = 0; i < 256; i++) { tokens[3 + i] = $"<0x{i:X2}>"; kinds[3 + i] = 6; }
for (int i = 259; i < shape.Vocab; i++) { tokens[i] = "▁t" + i; scores[i] = -i; kinds[i] = 1; }
w.Metadata.Set("tokenizer.ggml.model", GgufValue.FromString("llama"));
w.Metadata.Set("tokenizer.ggml.tokens", GgufValue.FromStrings(tokens));
w.Metadata.Set("tokenizer.ggml.scores", GgufValue.FromFloat32s(scores));
w.Metadata.Set("tokenizer.ggml.token_type", GgufValue.FromInt32s(kinds));
w.Metadata.Set("tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(1));
w.Metadata.Set("tokenizer.ggml.eos_token_id", GgufValue.FromUInt32(2));

int headDim = shape.Dim / shape.Heads;
void Add(string name, GgmlType t, params long[] dims) =>
    w.AddTensor(name, t, dims, s => ZeroFill(s, GgmlTypeInfo.ByteCount(t, dims.Aggregate(1L, (a, b) => a * b))));
Add("token_embd.weight", type, shape.Dim, shape.Vocab);
Add("output_norm.weight", GgmlType.F32, shape.Dim);
Add("output.weight", type == GgmlType.Q4_0 ? GgmlType.Q6_K : type, shape.Dim, shape.Vocab);
for (int l = 0; l < shape.Layers; l++)
{
    Add($"blk.{l}.attn_norm.weight", GgmlType.F32, shape.Dim);
    Add($"blk.{l}.attn_q.weight", type, shape.Dim, shape.Dim);
    Add($"blk.{l}.attn_k.weight", type, shape.Dim, shape.KvHeads * headDim);
    Add($"blk.{l}.attn_v.weight", type, shape.Dim, shape.KvHeads * headDim);
    Add($"blk.{l}.attn_output.weight", type, shape.Dim, shape.Dim);
    Add($"blk.{l}.ffn_norm.weight", GgmlType.F32, shape.Dim);
    Add($"blk.{l}.ffn_gate.weight", type, shape.Dim, shape.Ffn);
    Add($"blk.{l}.ffn_up.weight", type, shape.Dim, shape.Ffn);
    Add($"blk.{l}.ffn_down.weight", type, shape.Ffn, shape.Dim);
}
using (var file = new FileStream(output, FileMode.Create))
using (var sparse = new SparseStream(file))
{
    w.WriteTo(sparse);
    file.SetLength(sparse.Position);
}
Console.WriteLine($"{output}: {new FileInfo(output).Length / 1048576.0:N0} MiB (sparse)");

static void ZeroFill(Stream s, long bytes)
{
    var zeros = new byte[1 << 20];
    for (long left = bytes; left > 0; left -= zeros.Length) s.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
}

/// <summary>Seeks over all-zero writes instead of writing them, leaving holes in the file.</summary>
sealed class SparseStream(FileStream inner) : Stream
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
        if (buffer.IndexOfAnyExcept((byte)0) < 0) inner.Seek(buffer.Length, SeekOrigin.Current);
        else inner.Write(buffer);
    }
}
