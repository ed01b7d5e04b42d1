using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llambda.Tensors.Kernels;

/// <summary>
/// Activation quantizers with the numerics of ggml's x86 CPU backend (quantize_row_q8_0 / q8_1: scale 127/amax,
/// round half to even; quantize_row_q8_K = the reference), and the reference weight quantizers for Q8_0 / Q4_0.
/// </summary>
internal static unsafe class QuantizeKernels
{
    // ---- Q8_0 activations ----

    public static void Q8_0(float* x, byte* y, int n)
    {
        if (KernelOptions.UseAvx2) Q8_0Avx2(x, y, n, withSum: false);
        else Q8_0Scalar(x, y, n, withSum: false);
    }

    public static void Q8_1(float* x, byte* y, int n)
    {
        if (KernelOptions.UseAvx2) Q8_0Avx2(x, y, n, withSum: true);
        else Q8_0Scalar(x, y, n, withSum: true);
    }

    /// <summary>Q8_0 (withSum false: d, qs) or Q8_1 (withSum true: d, s, qs).</summary>
    public static void Q8_0Scalar(float* x, byte* y, int n, bool withSum)
    {
        int blockBytes = withSum ? Blocks.Q8_1 : Blocks.Q8_0;
        int qsOffset = withSum ? 4 : 2;
        for (int b = 0; b < n / 32; b++, x += 32, y += blockBytes)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            *(ushort*)y = Fp16.FromFloat(d);
            sbyte* qs = (sbyte*)(y + qsOffset);
            int sum = 0;
            for (int j = 0; j < 32; j++)
            {
                int v = (int)MathF.Round(x[j] * id); // round half to even, like _mm256_round_ps(_MM_ROUND_NEAREST)
                qs[j] = (sbyte)v;
                sum += v;
            }
            if (withSum) *(ushort*)(y + 2) = Fp16.FromFloat(d * sum);
        }
    }

    public static void Q8_0Avx2(float* x, byte* y, int n, bool withSum)
    {
        int blockBytes = withSum ? Blocks.Q8_1 : Blocks.Q8_0;
        int qsOffset = withSum ? 4 : 2;
        Vector256<float> signMask = Vector256.Create(-0.0f);
        Vector256<int> perm = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        for (int b = 0; b < n / 32; b++, x += 32, y += blockBytes)
        {
            Vector256<float> v0 = Avx.LoadVector256(x), v1 = Avx.LoadVector256(x + 8);
            Vector256<float> v2 = Avx.LoadVector256(x + 16), v3 = Avx.LoadVector256(x + 24);
            Vector256<float> maxAbs = Avx.Max(Avx.AndNot(signMask, v0), Avx.AndNot(signMask, v1));
            maxAbs = Avx.Max(maxAbs, Avx.AndNot(signMask, v2));
            maxAbs = Avx.Max(maxAbs, Avx.AndNot(signMask, v3));
            Vector128<float> m4 = Sse.Max(maxAbs.GetUpper(), maxAbs.GetLower());
            m4 = Sse.Max(m4, Sse.MoveHighToLow(m4, m4));
            m4 = Sse.MaxScalar(m4, Sse3.MoveHighAndDuplicate(m4));
            float amax = m4.ToScalar();
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            *(ushort*)y = Fp16.FromFloat(d);
            Vector256<float> mul = Vector256.Create(id);
            Vector256<int> i0 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v0, mul)));
            Vector256<int> i1 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v1, mul)));
            Vector256<int> i2 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v2, mul)));
            Vector256<int> i3 = Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(v3, mul)));
            if (withSum)
            {
                int sum = Avx2Helpers.HorizontalSum(Avx2.Add(Avx2.Add(i0, i1), Avx2.Add(i2, i3)));
                *(ushort*)(y + 2) = Fp16.FromFloat(d * sum);
            }
            Vector256<short> s01 = Avx2.PackSignedSaturate(i0, i1);
            Vector256<short> s23 = Avx2.PackSignedSaturate(i2, i3);
            Vector256<sbyte> bytes = Avx2.PackSignedSaturate(s01, s23);
            bytes = Avx2.PermuteVar8x32(bytes.AsInt32(), perm).AsSByte();
            Avx.Store((sbyte*)(y + qsOffset), bytes);
        }
    }

    // ---- Q8_K activations (quantize_row_q8_K_ref) ----

    public static void Q8_K(float* x, byte* y, int n)
    {
        for (int b = 0; b < n / 256; b++, x += 256, y += Blocks.Q8_K)
        {
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax) { amax = ax; max = x[j]; }
            }
            sbyte* qs = (sbyte*)(y + 4);
            short* bsums = (short*)(y + 260);
            if (amax == 0f)
            {
                *(float*)y = 0f;
                new Span<byte>(y + 4, 256 + 32).Clear();
                continue;
            }
            float iscale = -127f / max;
            if (KernelOptions.UseAvx2)
            {
                Vector256<float> mul = Vector256.Create(iscale);
                Vector256<int> cap = Vector256.Create(127);
                for (int j = 0; j < 256; j += 32)
                {
                    Vector256<int> i0 = Avx2.Min(Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(Avx.LoadVector256(x + j), mul))), cap);
                    Vector256<int> i1 = Avx2.Min(Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(Avx.LoadVector256(x + j + 8), mul))), cap);
                    Vector256<int> i2 = Avx2.Min(Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(Avx.LoadVector256(x + j + 16), mul))), cap);
                    Vector256<int> i3 = Avx2.Min(Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Multiply(Avx.LoadVector256(x + j + 24), mul))), cap);
                    bsums[j / 16] = (short)Avx2Helpers.HorizontalSum(Avx2.Add(i0, i1));
                    bsums[j / 16 + 1] = (short)Avx2Helpers.HorizontalSum(Avx2.Add(i2, i3));
                    Vector256<sbyte> bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
                    bytes = Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte();
                    Avx.Store(qs + j, bytes);
                }
            }
            else
            {
                for (int j = 0; j < 256; j++)
                {
                    int v = (int)MathF.Round(iscale * x[j]); // nearest_int: round half to even
                    qs[j] = (sbyte)Math.Min(127, v);
                }
                for (int j = 0; j < 16; j++)
                {
                    int s = 0;
                    for (int i = 0; i < 16; i++) s += qs[j * 16 + i];
                    bsums[j] = (short)s;
                }
            }
            *(float*)y = 1f / iscale;
        }
    }

    // ---- reference weight quantizers (byte-exact with ggml's quantize_row_*_ref) ----

    public static void Q8_0Reference(float* x, byte* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += 32, y += Blocks.Q8_0)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            *(ushort*)y = Fp16.FromFloat(d);
            sbyte* qs = (sbyte*)(y + 2);
            for (int j = 0; j < 32; j++) qs[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    public static void Q4_0Reference(float* x, byte* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += 32, y += Blocks.Q4_0)
        {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            *(ushort*)y = Fp16.FromFloat(d);
            byte* qs = y + 2;
            for (int j = 0; j < 16; j++)
            {
                float x0 = x[j] * id, x1 = x[16 + j] * id;
                int xi0 = Math.Min(15, (int)(sbyte)(int)(x0 + 8.5f));
                int xi1 = Math.Min(15, (int)(sbyte)(int)(x1 + 8.5f));
                qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    // ---- plain conversions ----

    public static void F16(float* x, ushort* y, int n)
    {
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(x, n), new Span<Half>(y, n));
    }

    public static void BF16(float* x, ushort* y, int n)
    {
        for (int i = 0; i < n; i++) y[i] = Fp16.FloatToBF16(x[i]);
    }

    /// <summary>
    /// Rounds f32 values to fp16 precision and scales them by 2^112 (the F16 weights' prepared activation, see
    /// <see cref="Fp16.ScaledActivationFactor"/>).
    /// </summary>
    public static void RoundToF16Scaled(float* x, float* y, int n)
    {
        Span<Half> buf = stackalloc Half[512];
        for (int i = 0; i < n; i += 512)
        {
            int len = Math.Min(512, n - i);
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(x + i, len), buf[..len]);
            var rounded = new Span<float>(y + i, len);
            System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(buf[..len], rounded);
            System.Numerics.Tensors.TensorPrimitives.Multiply(rounded, Fp16.ScaledActivationFactor, rounded);
        }
    }

    /// <summary>Rounds f32 values to bf16 precision and back (the BF16 weights' prepared activation).</summary>
    public static void RoundToBF16(float* x, float* y, int n)
    {
        for (int i = 0; i < n; i++) y[i] = Fp16.BF16ToFloat(Fp16.FloatToBF16(x[i]));
    }
}
