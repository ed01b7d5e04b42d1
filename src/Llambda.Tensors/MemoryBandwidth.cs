using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Llambda.Tensors;

/// <summary>
/// Measures how fast this machine streams memory into the cores (a STREAM-style read), the ceiling for decode:
/// each generated token reads every weight once, so tokens/s × bytes per token can never exceed it.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>Best-of-<paramref name="passes"/> read bandwidth in bytes/s over a buffer of <paramref name="bytes"/>, split over the pool.</summary>
    public static double MeasureRead(WorkerPool pool, long bytes = 512L << 20, int passes = 5)
    {
        long count = bytes / sizeof(float) / 8192 * 8192; // whole 32-float steps in each of 256 chunks
        float* data = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
        try
        {
            new Span<float>(data, (int)Math.Min(count, int.MaxValue)).Fill(1f); // touch every page before timing
            for (long i = int.MaxValue; i < count; i++) data[i] = 1f;
            const int Chunks = 256;
            float* sums = stackalloc float[Chunks];
            var job = new ReadJob { Data = data, ChunkLength = count / Chunks, Sums = sums };
            double best = 0;
            for (int pass = 0; pass < passes; pass++)
            {
                var clock = Stopwatch.StartNew();
                pool.Run(ref job, Chunks, 1);
                double seconds = clock.Elapsed.TotalSeconds;
                best = Math.Max(best, count * sizeof(float) / seconds);
            }
            return best;
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(data);
        }
    }

    private struct ReadJob : IParallelJob
    {
        public float* Data;
        public long ChunkLength;
        public float* Sums;

        public readonly void Execute(int start, int end)
        {
            for (int c = start; c < end; c++)
            {
                float* p = Data + c * ChunkLength;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (long i = 0; i < ChunkLength; i += 32)
                {
                    a0 += Vector256.Load(p + i);
                    a1 += Vector256.Load(p + i + 8);
                    a2 += Vector256.Load(p + i + 16);
                    a3 += Vector256.Load(p + i + 24);
                }
                Sums[c] = Vector256.Sum(a0 + a1 + a2 + a3); // keep the loads alive
            }
        }
    }
}
