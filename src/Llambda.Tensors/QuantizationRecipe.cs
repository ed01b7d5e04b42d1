using Llambda.Gguf;

namespace Llambda.Tensors;

/// <summary>
/// A target of <c>llambda quantize</c>: a name users type (the names llama.cpp's <c>llama-quantize</c> accepts), the
/// llama.cpp file type number written to <c>general.file_type</c>, and the tensor type most weights get.
/// </summary>
public sealed record QuantizationRecipe(string Name, int FileType, GgmlType DefaultType, string Description)
{
    // llama_ftype numbers (llama.h). They are part of the file format: llama.cpp reads general.file_type.
    public static readonly QuantizationRecipe Q8_0 = new("Q8_0", 7, GgmlType.Q8_0, "8-bit, 8.5 bits per weight");
    public static readonly QuantizationRecipe Q6_K = new("Q6_K", 18, GgmlType.Q6_K, "6-bit K-quant, 6.56 bpw");
    public static readonly QuantizationRecipe Q5_K_M = new("Q5_K_M", 17, GgmlType.Q5_K, "Q5_K with Q6_K for output, half of attn_v and ffn_down");
    public static readonly QuantizationRecipe Q5_K_S = new("Q5_K_S", 16, GgmlType.Q5_K, "Q5_K, output Q6_K");
    public static readonly QuantizationRecipe Q5_1 = new("Q5_1", 9, GgmlType.Q5_1, "5-bit with min, 6 bpw");
    public static readonly QuantizationRecipe Q5_0 = new("Q5_0", 8, GgmlType.Q5_0, "5-bit, 5.5 bpw");
    public static readonly QuantizationRecipe Q4_K_M = new("Q4_K_M", 15, GgmlType.Q4_K, "Q4_K with Q6_K for output, half of attn_v and ffn_down");
    public static readonly QuantizationRecipe Q4_K_S = new("Q4_K_S", 14, GgmlType.Q4_K, "Q4_K with Q5_K for the first attn_v / ffn_down, output Q6_K");
    public static readonly QuantizationRecipe Q4_1 = new("Q4_1", 3, GgmlType.Q4_1, "4-bit with min, 5 bpw");
    public static readonly QuantizationRecipe Q4_0 = new("Q4_0", 2, GgmlType.Q4_0, "4-bit, 4.5 bpw");
    public static readonly QuantizationRecipe F16 = new("F16", 1, GgmlType.F16, "16-bit float");
    public static readonly QuantizationRecipe BF16 = new("BF16", 32, GgmlType.BF16, "bfloat16");

    /// <summary>Every recipe, largest first.</summary>
    public static IReadOnlyList<QuantizationRecipe> All { get; } =
        [F16, BF16, Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_1, Q5_0, Q4_K_M, Q4_K_S, Q4_1, Q4_0];

    /// <summary>The names accepted by <see cref="Parse"/> (llama-quantize's aliases included: Q4_K = Q4_K_M, Q5_K = Q5_K_M).</summary>
    public static IReadOnlyList<string> ValidNames { get; } = [.. All.Select(r => r.Name), "Q4_K", "Q5_K"];

    public bool IsQuantized => DefaultType is not (GgmlType.F16 or GgmlType.BF16 or GgmlType.F32);

    public static bool TryParse(string name, out QuantizationRecipe recipe)
    {
        string key = name.Trim().ToUpperInvariant() switch
        {
            "Q4_K" => "Q4_K_M", // llama-quantize treats the bare name as the _M mix
            "Q5_K" => "Q5_K_M",
            var n => n,
        };
        recipe = All.FirstOrDefault(r => r.Name == key)!;
        return recipe != null;
    }

    /// <summary>Parses a type name, or throws an <see cref="ArgumentException"/> that lists every valid name.</summary>
    public static QuantizationRecipe Parse(string name) =>
        TryParse(name, out var recipe)
            ? recipe
            : throw new ArgumentException($"Unknown quantization type '{name}'. Valid types: {string.Join(", ", ValidNames)}.");

    public override string ToString() => Name;
}
