// Kernel benchmark: one weight matrix against 1 token (decode, weights streamed from memory) and against a 64-token
// piece (prefill, weights reused from cache), on ONE thread, the best of many runs after a warm-up. Whole-model figures (`llambda bench`,
// bench/compare) move by ±10% on a shared 2-core machine; the minimum of a single-threaded kernel moves by 1-2%, which
// is what a kernel change needs to be judged by.
//   dotnet run -c Release bench/kernels/kernels.cs [-- TYPE...]        (default: Q4_0 Q4_K Q6_K Q8_0 F16)
#:project ../../src/Llambda.Tensors/Llambda.Tensors.csproj
#:property AllowUnsafeBlocks=true
using System.Diagnostics;
using System.Runtime.InteropServices;
using Llambda.Gguf;
using Llambda.Tensors;

string[] types = args.Length > 0 ? args : ["Q4_0", "Q4_K", "Q6_K", "Q8_0", "F16"];
const int Rows = 5632, Cols = 2048, Piece = 64; // TinyLlama's ffn_up / ffn_gate
Console.WriteLine($"{KernelOptions.Describe()}, one thread, {Rows}x{Cols} weights, best of the runs");
Console.WriteLine("| type | decode ms | decode GB/s | prefill (64 tokens) ms | prefill GFLOP/s |");
Console.WriteLine("|---|---|---|---|---|");
var rng = new Random(1);
var floats = new float[(long)Rows * Cols];
for (long i = 0; i < floats.Length; i++) floats[i] = (float)(rng.NextDouble() * 2 - 1);
var x = new float[Piece * Cols];
for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
var y = new float[Piece * Rows];
foreach (string name in types)
{
    var type = Enum.Parse<GgmlType>(name);
    unsafe
    {
        long rowBytes = GgmlTypeInfo.RowBytes(type, Cols);
        byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)(rowBytes * Rows), 64);
        for (int r = 0; r < Rows; r++)
            WeightQuantizer.Row(type, floats.AsSpan(r * Cols, Cols), new Span<byte>(data + r * rowBytes, (int)rowBytes));
        var w = new WeightMatrix(type, Rows, Cols, data);
        byte* packed = null;
        if (w.CanRepack && KernelOptions.UseAvx2)
        {
            // the interleaved copy the model loader makes for these types (RepackedWeights)
            packed = (byte*)NativeMemory.AlignedAlloc((nuint)w.PackedByteSize, 64);
            w.PackInto(packed);
            w = new WeightMatrix(type, Rows, Cols, data) { RepackOrder = true, Packed = packed };
        }
        // decode: a 64 MiB buffer read between runs pushes the matrix out of the caches, as a model's other layers do
        var flush = new byte[64 << 20];
        double decode = Best(40, () => MatMul.MatVec(w, x.AsSpan(0, Cols), y, null), () => flush.AsSpan().Fill(1));
        double prefill = Best(15, () => MatMul.MatMulBatch(w, x, Piece, y, null), null);
        long bytes = w.IsPacked ? w.PackedByteSize : w.ByteSize;
        Console.WriteLine($"| {type} | {decode * 1e3:F2} | {bytes / decode / 1e9:F1} | {prefill * 1e3:F1} | {2.0 * Rows * Cols * Piece / prefill / 1e9:F1} |");
        if (packed != null) NativeMemory.AlignedFree(packed);
        NativeMemory.AlignedFree(data);
    }
}

static double Best(int runs, Action run, Action? between)
{
    // warm-up: half a second of runs, so the tiered JIT has compiled the kernels fully before any is timed
    for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < 0.5;) run();
    double best = double.MaxValue;
    for (int i = 0; i < runs; i++)
    {
        between?.Invoke();
        var clock = Stopwatch.StartNew();
        run();
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }
    return best;
}
