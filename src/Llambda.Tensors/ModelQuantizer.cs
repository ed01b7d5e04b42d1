using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Llambda.Gguf;

namespace Llambda.Tensors;

/// <summary>Options for <see cref="ModelQuantizer"/>.</summary>
public sealed record ModelQuantizerOptions
{
    /// <summary>Allow tensors that are already quantized to be dequantized and quantized again (loses accuracy twice).</summary>
    public bool AllowRequantize { get; init; }

    /// <summary>Worker threads for the row quantizers (the output does not depend on it). 0 = all CPUs.</summary>
    public int Threads { get; init; }
}

/// <summary>What happened to one tensor.</summary>
public sealed record QuantizedTensor(string Name, long[] Dimensions, GgmlType From, GgmlType To, long BytesBefore, long BytesAfter);

/// <summary>The outcome of <see cref="ModelQuantizer.Quantize"/>.</summary>
public sealed record QuantizationReport(string Recipe, IReadOnlyList<QuantizedTensor> Tensors, long InputBytes, long OutputBytes, TimeSpan Elapsed)
{
    public long WeightBytesBefore => Tensors.Sum(t => t.BytesBefore);
    public long WeightBytesAfter => Tensors.Sum(t => t.BytesAfter);
    public long ParameterCount => Tensors.Sum(t => t.Dimensions.Aggregate(1L, (a, b) => a * b));
    public double BitsPerWeight => ParameterCount == 0 ? 0 : WeightBytesAfter * 8.0 / ParameterCount;
}

/// <summary>
/// Rewrites a GGUF model with quantized weights, reproducing llama.cpp's <c>llama-quantize</c> (without an
/// importance matrix) file for file: same metadata (plus <c>general.quantization_version</c> and
/// <c>general.file_type</c>), same tensor order, same per-tensor type choices (<see cref="ChooseType"/>), and
/// the same bytes (<see cref="WeightQuantizer"/>). A file we write is therefore the file llama.cpp would write,
/// and llama.cpp loads it.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>ggml's quantization format version (GGML_QNT_VERSION), written to every quantized file.</summary>
    public const uint QuantizationVersion = 2;

    public static QuantizationReport Quantize(string inputPath, string outputPath, QuantizationRecipe recipe,
        ModelQuantizerOptions? options = null, Action<QuantizedTensor>? onTensor = null)
    {
        options ??= new ModelQuantizerOptions();
        if (Path.GetFullPath(inputPath) == Path.GetFullPath(outputPath))
            throw new ArgumentException("The output file must differ from the input file.");
        var clock = Stopwatch.StartNew();
        using var input = GgufFile.Open(inputPath);
        var plan = Plan(input, recipe, options.AllowRequantize);

        var writer = new GgufWriter();
        foreach (var (key, value) in input.Metadata)
        {
            if (key is "split.no" or "split.count" or "split.tensors.count") continue;
            writer.Metadata.Set(key, value);
        }
        // gguf_set_val_* removes a key before adding it, so both land at the end, in this order.
        writer.Metadata.Remove("general.quantization_version");
        writer.Metadata.Set("general.quantization_version", GgufValue.FromUInt32(QuantizationVersion));
        writer.Metadata.Remove("general.file_type");
        writer.Metadata.Set("general.file_type", GgufValue.FromUInt32((uint)recipe.FileType));

        var done = new List<QuantizedTensor>();
        foreach (var (tensor, target) in plan)
        {
            var record = new QuantizedTensor(tensor.Name, tensor.Dimensions, tensor.Type, target, tensor.ByteSize,
                GgmlTypeInfo.ByteCount(target, tensor.ElementCount));
            writer.AddTensor(tensor.Name, target, tensor.Dimensions, stream =>
            {
                if (target == tensor.Type) stream.Write(input.GetTensorBytes(tensor));
                else ConvertTensor(input, tensor, target, stream, options.Threads);
                done.Add(record);
                onTensor?.Invoke(record);
            });
        }
        writer.WriteTo(outputPath);
        return new QuantizationReport(recipe.Name, done, input.FileSize, new FileInfo(outputPath).Length, clock.Elapsed);
    }

    /// <summary>
    /// The output tensors in llama.cpp's order (tensors outside the blocks first, then block by block; by name
    /// within each) with the type each gets. Throws before anything is written when the input cannot be quantized.
    /// </summary>
    public static IReadOnlyList<(GgufTensorInfo Tensor, GgmlType Type)> Plan(GgufFile input, QuantizationRecipe recipe, bool allowRequantize)
    {
        var ordered = input.Tensors.OrderBy(t => t, TensorOrder.Instance).ToList();
        var state = new MixState(input, ordered);
        var plan = new List<(GgufTensorInfo, GgmlType)>(ordered.Count);
        foreach (var tensor in ordered)
        {
            GgmlType target = tensor.Type;
            if (ShouldQuantize(tensor))
            {
                target = recipe.IsQuantized ? ChooseType(state, tensor, recipe) : recipe.DefaultType;
                if (target != tensor.Type)
                {
                    if (tensor.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16) && !allowRequantize)
                        throw new NotSupportedException(
                            $"Tensor '{tensor.Name}' is already {tensor.Type}: requantizing loses accuracy twice, so it is off unless you pass --allow-requantize (better: start from the F16/F32 model).");
                    if (!Dequantize.IsSupported(tensor.Type))
                        throw new NotSupportedException($"Tensor '{tensor.Name}' has type {tensor.Type}, which cannot be dequantized here.");
                }
            }
            plan.Add((tensor, target));
        }
        return plan;
    }

    /// <summary>llama.cpp's rule for which tensors are quantized: 2-D+ weights that are not norms, gates of experts, or position tables.</summary>
    public static bool ShouldQuantize(GgufTensorInfo tensor)
    {
        string name = tensor.Name;
        if (!name.EndsWith("weight", StringComparison.Ordinal)) return false;
        if (Dims(tensor) < 2) return false;
        string[] keepAsIs =
        [
            "_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d.weight",
            "shortconv.conv.weight", "time_mix_", "attn_rel_b.weight",
        ];
        if (keepAsIs.Any(k => name.Contains(k, StringComparison.Ordinal))) return false;
        return name is not ("position_embd.weight" or "token_types.weight");
    }

    /// <summary>ggml_n_dims: trailing dimensions of 1 do not count.</summary>
    private static int Dims(GgufTensorInfo t)
    {
        int n = t.Dimensions.Length;
        while (n > 1 && t.Dimensions[n - 1] == 1) n--;
        return n;
    }

    /// <summary>
    /// llama.cpp's llama_tensor_get_type for the mixes we offer. The idea behind the K-quant mixes: the output
    /// projection and the value / down projections are the most sensitive to rounding, so they get more bits
    /// (Q6_K) in the first and last eighth of the layers and every third layer between ("use_more_bits").
    /// MoE and Falcon special cases are not reproduced (our engine runs neither).
    /// </summary>
    private static GgmlType ChooseType(MixState state, GgufTensorInfo tensor, QuantizationRecipe recipe)
    {
        string name = tensor.Name;
        GgmlType type = recipe.DefaultType;
        string r = recipe.Name;
        static bool UseMoreBits(int layer, int layers) => layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

        if (name == "output.weight" || (!state.HasOutput && name == "token_embd.weight"))
        {
            // Tied embeddings: the token table doubles as the output projection, so it is treated as one.
            if (tensor.RowLength % GgmlTypeInfo.BlockSize(type) != 0) type = GgmlType.Q8_0;
            else if (type != GgmlType.Q8_0) type = GgmlType.Q6_K;
        }
        else if (name.Contains("attn_v.weight", StringComparison.Ordinal))
        {
            if ((r is "Q4_K_M" or "Q5_K_M") && UseMoreBits(state.AttentionV, state.AttentionVCount)) type = GgmlType.Q6_K;
            else if (r == "Q4_K_S" && state.AttentionV < 4) type = GgmlType.Q5_K;
            // 70B: eight heads share attn_v, so it is small and cheap to keep at 5 bits.
            if (state.Is70B && type is GgmlType.Q3_K or GgmlType.Q4_K) type = GgmlType.Q5_K;
            state.AttentionV++;
        }
        else if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            int layer = state.FfnDown, layers = state.LayerCount;
            if (r == "Q4_K_M" && UseMoreBits(layer, layers)) type = GgmlType.Q6_K;
            else if (r == "Q5_K_M" && UseMoreBits(layer, layers)) type = GgmlType.Q6_K;
            else if (r == "Q4_K_S" && layer < layers / 8) type = GgmlType.Q5_K;
            state.FfnDown++;
        }
        else if (name.Contains("attn_qkv.weight", StringComparison.Ordinal))
        {
            if (r == "Q4_K_M") type = GgmlType.Q5_K;
            else if (r == "Q5_K_M") type = GgmlType.Q6_K;
        }

        // Rows that are not whole blocks of the chosen type fall back to a type with 32-value blocks, then F16.
        if (tensor.RowLength % GgmlTypeInfo.BlockSize(type) != 0)
        {
            type = type switch
            {
                GgmlType.Q4_K => GgmlType.Q5_0,
                GgmlType.Q5_K => GgmlType.Q5_1,
                GgmlType.Q6_K => GgmlType.Q8_0,
                _ => throw new NotSupportedException(
                    $"Tensor '{name}' has rows of {tensor.RowLength} values, not a multiple of the {GgmlTypeInfo.BlockSize(type)}-value {type} block."),
            };
            if (tensor.RowLength % GgmlTypeInfo.BlockSize(type) != 0) type = GgmlType.F16;
        }
        return type;
    }

    /// <summary>Converts one tensor row by row (rows in parallel; each row's bytes do not depend on the split).</summary>
    private static unsafe void ConvertTensor(GgufFile input, GgufTensorInfo tensor, GgmlType target, Stream output, int threads)
    {
        int rowLength = checked((int)tensor.RowLength);
        long rows = tensor.RowCount;
        int inRowBytes = checked((int)GgmlTypeInfo.RowBytes(tensor.Type, rowLength));
        int outRowBytes = checked((int)GgmlTypeInfo.RowBytes(target, rowLength));
        int rowsPerChunk = (int)Math.Clamp((8L << 20) / Math.Max(outRowBytes, 1), 1, rows);
        byte[] chunk = new byte[rowsPerChunk * outRowBytes];
        byte* source = input.GetTensorPointer(tensor);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };

        for (long first = 0; first < rows; first += rowsPerChunk)
        {
            int count = (int)Math.Min(rowsPerChunk, rows - first);
            long firstRow = first;
            Parallel.For(0, count, parallel, () => new float[rowLength], (i, _, values) =>
            {
                var inRow = new ReadOnlySpan<byte>(source + (firstRow + i) * inRowBytes, inRowBytes);
                if (tensor.Type == GgmlType.F32) MemoryMarshal.Cast<byte, float>(inRow).CopyTo(values);
                else Dequantize.Row(tensor.Type, inRow, values);
                WeightQuantizer.Row(target, values, chunk.AsSpan(i * outRowBytes, outRowBytes));
                return values;
            }, _ => { });
            output.Write(chunk, 0, count * outRowBytes);
        }
    }

    /// <summary>Counters llama.cpp keeps while it walks the tensors (which attn_v / ffn_down this is, of how many).</summary>
    private sealed class MixState
    {
        public MixState(GgufFile input, IReadOnlyList<GgufTensorInfo> tensors)
        {
            string arch = input.Metadata.GetStringOrDefault("general.architecture") ?? "";
            LayerCount = (int)input.Metadata.GetInt64($"{arch}.block_count", 0);
            HasOutput = tensors.Any(t => t.Name == "output.weight");
            AttentionVCount = tensors.Count(t => t.Name.Contains("attn_v.weight", StringComparison.Ordinal)
                || t.Name.Contains("attn_qkv.weight", StringComparison.Ordinal) || t.Name.Contains("attn_kv_b.weight", StringComparison.Ordinal));
            // llama.cpp recognises a 70B llama by its 80 layers.
            Is70B = arch == "llama" && LayerCount == 80;
        }

        public int LayerCount { get; }
        public bool HasOutput { get; }
        public int AttentionVCount { get; }
        public bool Is70B { get; }
        public int AttentionV { get; set; }
        public int FfnDown { get; set; }
    }

    /// <summary>llama.cpp's tensor order (weight_name_comparer): by block number ("blk.N."; none = -1), then by name.</summary>
    private sealed class TensorOrder : IComparer<GgufTensorInfo>
    {
        public static readonly TensorOrder Instance = new();

        public int Compare(GgufTensorInfo? a, GgufTensorInfo? b)
        {
            int la = Layer(a!.Name), lb = Layer(b!.Name);
            return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a.Name, b.Name);
        }

        private static int Layer(string name)
        {
            if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
            int end = name.IndexOf('.', 4);
            return end > 4 && int.TryParse(name.AsSpan(4, end - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;
        }
    }
}
