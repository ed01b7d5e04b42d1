using System.Runtime.CompilerServices;
using Llambda.Gguf;
using Llambda.Tensors.Kernels;

namespace Llambda.Tensors;

/// <summary>
/// Matrix-vector and matrix-matrix products of quantized weights with f32 activations, computed like llama.cpp's CPU
/// backend: the activations are converted once to the weight type's vec_dot type (<see cref="VecDot.ActivationType"/>)
/// and every output is one row dot product. Rows are split over a <see cref="WorkerPool"/>.
/// </summary>
public static unsafe class MatMul
{
    [ThreadStatic] private static byte[]? t_scratch;

    /// <summary>y[r] = dot(W row r, x) for every row. x.Length == w.Cols, y.Length &gt;= w.Rows.</summary>
    public static void MatVec(WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, WorkerPool? pool) =>
        MatMulBatch(w, x, 1, y, pool);

    /// <summary>
    /// Batched product for prefill: <paramref name="x"/> holds <paramref name="n"/> rows of w.Cols values and
    /// <paramref name="y"/> receives n rows of w.Rows values (Y = X·Wᵀ). Each output equals what <see cref="MatVec"/>
    /// gives for that token, bit for bit.
    /// </summary>
    /// <param name="inLargerBatch">
    /// True when these columns are part of a larger batch (a llama.cpp ubatch) of which they are a piece: the batch
    /// kernels (tinyBLAS order for the float types) then apply even to a single column, as they do in llama.cpp.
    /// </param>
    public static void MatMulBatch(WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, WorkerPool? pool, bool inLargerBatch = false)
    {
        if (n <= 0) return;
        if (x.Length < (long)n * w.Cols) throw new ArgumentException($"x holds {x.Length} values, {(long)n * w.Cols} needed.", nameof(x));
        if (y.Length < (long)n * w.Rows) throw new ArgumentException($"y holds {y.Length} values, {(long)n * w.Rows} needed.", nameof(y));
        if (w.Rows == 0) return;
        bool packed = w.IsPacked && KernelOptions.UseAvx2;
        int actBytes = VecDot.ActivationBytes(w.Type, w.Cols) + (packed ? Interleaved.ActivationExtraBytes(w.Type, w.Cols) : 0);
        byte[] scratch = Scratch(checked(actBytes * n + 64));
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (byte* ps = scratch)
        {
            byte* act = (byte*)(((nint)ps + 63) & ~(nint)63);
            for (int t = 0; t < n; t++)
            {
                VecDot.Prepare(w.Type, px + (long)t * w.Cols, act + (long)t * actBytes, w.Cols);
                if (packed) Interleaved.PrepareExtra(w.Type, act + (long)t * actBytes, w.Cols);
            }
            MatMulPrepared(w, act, actBytes, n, py, pool, inLargerBatch);
        }
    }

    /// <summary>
    /// Product with activations already prepared by <see cref="VecDot.PrepareActivation"/> (n rows of
    /// <paramref name="actStride"/> bytes), for callers that reuse one quantized input for several matrices. For a
    /// packed matrix (<see cref="WeightMatrix.IsPacked"/>) each row must also carry the extra bytes of
    /// <see cref="Interleaved.PrepareExtra"/>.
    /// </summary>
    internal static void MatMulPrepared(WeightMatrix w, byte* act, int actStride, int n, float* y, WorkerPool? pool, bool inLargerBatch = false)
    {
        bool batch = n >= 2 || inLargerBatch;
        bool packed = w.IsPacked && KernelOptions.UseAvx2;
        bool tiled = !packed && !w.RepackOrder && KernelOptions.UseAvx2;
        var job = new Job
        {
            Kernel = w.RepackOrder ? Interleaved.RowKernel(w.Type) : VecDot.GetKernel(w.Type, batch),
            GroupKernel = packed ? Interleaved.GroupKernel(w.Type) : null,
            // llama.cpp's repacked mul_mat runs the first n - n % 4 columns through its gemm, which may accumulate
            // in another order than the gemv that takes the rest
            GemmKernel = w.RepackOrder ? Interleaved.RowGemmKernel(w.Type) : null,
            GemmGroupKernel = packed ? Interleaved.GemmGroupKernel(w.Type) : null,
            GemmTokens = w.RepackOrder ? Interleaved.GemmColumns(n) : 0,
            GroupTileKernel = packed && n >= InterleavedTiles.Tokens ? InterleavedTiles.GroupKernel(w.Type) : null,
            GemmGroupTileKernel = packed && n >= InterleavedTiles.Tokens ? InterleavedTiles.GemmGroupKernel(w.Type) : null,
            RowsKernel = tiled ? Avx2Tiles.RowsKernel(w.Type, batch) : null,
            TileKernel = tiled ? Avx2Tiles.TileKernel(w.Type) : null,

            Packed = packed ? w.Packed : null,
            GroupBytes = packed ? Interleaved.GroupBytes(w.Type, w.Cols) : 0,
            W = w.Data,
            RowBytes = w.RowBytes,
            Rows = w.Rows,
            Cols = w.Cols,
            Act = act,
            ActStride = actStride,
            Tokens = n,
            Y = y,
        };
        int threads = pool?.Threads ?? 1;
        if (threads <= 1 || (long)w.Rows * w.Cols * n < 32 * 1024)
        {
            job.Execute(0, w.Rows);
            return;
        }
        // chunks of rows: enough for balance (about 8 per thread), a multiple of 4, not too small
        int chunk = Math.Clamp(w.Rows / (threads * 8), 8, 512);
        chunk = (chunk + 7) & ~7;
        pool!.Run(ref job, w.Rows, chunk);
    }

    /// <summary>A per-thread scratch buffer of at least <paramref name="bytes"/> bytes (pinned, grown as needed).</summary>
    internal static byte[] Scratch(int bytes)
    {
        byte[]? s = t_scratch;
        if (s == null || s.Length < bytes)
        {
            int size = Math.Max(bytes, s == null ? 64 * 1024 : s.Length * 2);
            s = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            t_scratch = s;
        }
        return s;
    }

    private struct Job : IParallelJob
    {
        public delegate*<byte*, byte*, int, float> Kernel;
        public delegate*<byte*, byte*, int, float*, void> GroupKernel;
        public delegate*<byte*, byte*, int, float> GemmKernel;
        public delegate*<byte*, byte*, int, float*, void> GemmGroupKernel;
        public int GemmTokens; // tokens 0..GemmTokens-1 use the Gemm kernels (repacked types only)
        public delegate*<byte*, byte*, long, int, float*, long, void> GroupTileKernel;
        public delegate*<byte*, byte*, long, int, float*, long, void> GemmGroupTileKernel;
        public delegate*<byte*, long, byte*, int, float*, void> RowsKernel;
        public delegate*<byte*, long, byte*, long, int, float*, long, void> TileKernel;

        public byte* Packed;
        public long GroupBytes;
        public byte* W;
        public long RowBytes;
        public int Rows, Cols;
        public byte* Act;
        public int ActStride;
        public int Tokens;
        public float* Y;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int start, int end)
        {
            var kernel = Kernel;
            int cols = Cols;
            if (Packed != null)
            {
                // 8-row groups (start and end are multiples of 8: the row count is, and so is every chunk)
                var group = GroupKernel;
                var gemm = GemmGroupKernel;
                var groupTile = GroupTileKernel;
                var gemmTile = GemmGroupTileKernel;
                const int T = InterleavedTiles.Tokens;
                for (int r = start; r < end; r += Interleaved.Rows)
                {
                    byte* g = Packed + (r / Interleaved.Rows) * GroupBytes;
                    int t = 0;
                    // the gemm columns (a multiple of 4), then the rest; T tokens per call where there is a tile kernel
                    if (gemmTile != null)
                        for (; t + T <= GemmTokens; t += T) gemmTile(g, Act + (long)t * ActStride, ActStride, cols, Y + (long)t * Rows + r, Rows);
                    for (; t < GemmTokens; t++) gemm(g, Act + (long)t * ActStride, cols, Y + (long)t * Rows + r);
                    if (groupTile != null)
                        for (; t + T <= Tokens; t += T) groupTile(g, Act + (long)t * ActStride, ActStride, cols, Y + (long)t * Rows + r, Rows);
                    for (; t < Tokens; t++) group(g, Act + (long)t * ActStride, cols, Y + (long)t * Rows + r);
                }
                return;
            }
            int r0 = start;
            if (RowsKernel != null)
            {
                // Avx2Tiles.Rows rows at a time (every chunk but the matrix's last is a multiple of it); each row
                // against every token, Avx2Tiles.Tokens tokens at a time where there is a tile kernel
                var rows = RowsKernel;
                var tile = TileKernel;
                for (; r0 + Avx2Tiles.Rows <= end; r0 += Avx2Tiles.Rows)
                {
                    byte* w = W + r0 * RowBytes;
                    int t = 0;
                    if (tile != null)
                        for (; t + Avx2Tiles.Tokens <= Tokens; t += Avx2Tiles.Tokens)
                            tile(w, RowBytes, Act + (long)t * ActStride, ActStride, cols, Y + (long)t * Rows + r0, Rows);
                    for (; t < Tokens; t++) rows(w, RowBytes, Act + (long)t * ActStride, cols, Y + (long)t * Rows + r0);
                }
            }
            if (Tokens == 1)
            {
                byte* row = W + r0 * RowBytes;
                for (int r = r0; r < end; r++, row += RowBytes) Y[r] = kernel(row, Act, cols);
                return;
            }
            // tile: a few rows at a time against every token, so each weight row is streamed from memory once
            // and re-read from cache for the other tokens
            const int RowTile = 4;
            for (; r0 < end; r0 += RowTile)
            {
                int r1 = Math.Min(end, r0 + RowTile);
                for (int t = 0; t < Tokens; t++)
                {
                    var k = t < GemmTokens ? GemmKernel : kernel;
                    byte* a = Act + (long)t * ActStride;
                    float* yt = Y + (long)t * Rows;
                    byte* row = W + r0 * RowBytes;
                    for (int r = r0; r < r1; r++, row += RowBytes) yt[r] = k(row, a, cols);
                }
            }
        }
    }
}
