using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Llambda.Gguf;

namespace Llambda.Tensors.Kernels;

/// <summary>Row dequantizers with ggml's dequantize_row_* arithmetic (n must be a whole number of blocks).</summary>
internal static unsafe class DequantizeKernels
{
    public static void Row(GgmlType type, byte* x, float* y, int n)
    {
        switch (type)
        {
            case GgmlType.F32: Buffer.MemoryCopy(x, y, (long)n * 4, (long)n * 4); break;
            case GgmlType.F16: F16(x, y, n); break;
            case GgmlType.BF16: BF16(x, y, n); break;
            case GgmlType.Q4_0: Q4_0(x, y, n); break;
            case GgmlType.Q4_1: Q4_1(x, y, n); break;
            case GgmlType.Q5_0: Q5_0(x, y, n); break;
            case GgmlType.Q5_1: Q5_1(x, y, n); break;
            case GgmlType.Q8_0: Q8_0(x, y, n); break;
            case GgmlType.Q8_1: Q8_1(x, y, n); break;
            case GgmlType.IQ4_NL: IQ4_NL(x, y, n); break;
            case GgmlType.Q2_K: Q2_K(x, y, n); break;
            case GgmlType.Q3_K: Q3_K(x, y, n); break;
            case GgmlType.Q4_K: Q4_K(x, y, n); break;
            case GgmlType.Q5_K: Q5_K(x, y, n); break;
            case GgmlType.Q6_K: Q6_K(x, y, n); break;
            case GgmlType.Q8_K: Q8_K(x, y, n); break;
            default: throw new NotSupportedException($"Dequantization of {type} is not supported.");
        }
    }

    public static void F16(byte* x, float* y, int n)
    {
        var h = (ushort*)x;
        int i = 0;
        if (KernelOptions.UseAvx2)
        {
            for (; i + 8 <= n; i += 8)
                Avx.Store(y + i, Avx2Helpers.HalfToSingle(Sse2.LoadVector128(h + i)));
        }
        for (; i < n; i++) y[i] = Fp16.ToFloat(h[i]);
    }

    public static void BF16(byte* x, float* y, int n)
    {
        var h = (ushort*)x;
        int i = 0;
        if (KernelOptions.UseAvx2)
        {
            for (; i + 8 <= n; i += 8)
                Avx.Store(y + i, Avx2Helpers.BF16ToSingle(Sse2.LoadVector128(h + i)));
        }
        for (; i < n; i++) y[i] = Fp16.BF16ToFloat(h[i]);
    }

    public static void Q4_0(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_0, y += 32)
        {
            float d = Fp16.ToFloat(x);
            byte* qs = x + 2;
            for (int j = 0; j < 16; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + 16] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    public static void Q4_1(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_1, y += 32)
        {
            float d = Fp16.ToFloat(x), m = Fp16.ToFloat(x + 2);
            byte* qs = x + 4;
            for (int j = 0; j < 16; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + 16] = (qs[j] >> 4) * d + m;
            }
        }
    }

    public static void Q5_0(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += Blocks.Q5_0, y += 32)
        {
            float d = Fp16.ToFloat(x);
            uint qh = *(uint*)(x + 2);
            byte* qs = x + 6;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                y[j] = (((qs[j] & 0x0F) | xh0) - 16) * d;
                y[j + 16] = (((qs[j] >> 4) | xh1) - 16) * d;
            }
        }
    }

    public static void Q5_1(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += Blocks.Q5_1, y += 32)
        {
            float d = Fp16.ToFloat(x), m = Fp16.ToFloat(x + 2);
            uint qh = *(uint*)(x + 4);
            byte* qs = x + 8;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                y[j] = ((qs[j] & 0x0F) | xh0) * d + m;
                y[j + 16] = ((qs[j] >> 4) | xh1) * d + m;
            }
        }
    }

    public static void Q8_0(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += Blocks.Q8_0, y += 32)
        {
            float d = Fp16.ToFloat(x);
            sbyte* qs = (sbyte*)(x + 2);
            for (int j = 0; j < 32; j++) y[j] = qs[j] * d;
        }
    }

    public static void Q8_1(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 32; b++, x += Blocks.Q8_1, y += 32)
        {
            float d = Fp16.ToFloat(x);
            sbyte* qs = (sbyte*)(x + 4);
            for (int j = 0; j < 32; j++) y[j] = qs[j] * d;
        }
    }

    public static void IQ4_NL(byte* x, float* y, int n)
    {
        ReadOnlySpan<sbyte> kv = Blocks.IQ4NLValues;
        for (int b = 0; b < n / 32; b++, x += Blocks.IQ4_NL, y += 32)
        {
            float d = Fp16.ToFloat(x);
            byte* qs = x + 2;
            for (int j = 0; j < 16; j++)
            {
                y[j] = d * kv[qs[j] & 0xF];
                y[j + 16] = d * kv[qs[j] >> 4];
            }
        }
    }

    public static void Q2_K(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 256; b++, x += Blocks.Q2_K)
        {
            byte* sc = x;
            byte* q = x + 16;
            float d = Fp16.ToFloat(x + 80), min = Fp16.ToFloat(x + 82);
            int isc = 0;
            for (int half = 0; half < 2; half++, q += 32)
            {
                for (int shift = 0; shift < 8; shift += 2)
                {
                    int s = sc[isc++];
                    float dl = d * (s & 0xF), ml = min * (s >> 4);
                    for (int l = 0; l < 16; l++) *y++ = dl * ((q[l] >> shift) & 3) - ml;
                    s = sc[isc++];
                    dl = d * (s & 0xF); ml = min * (s >> 4);
                    for (int l = 0; l < 16; l++) *y++ = dl * ((q[l + 16] >> shift) & 3) - ml;
                }
            }
        }
    }

    public static void Q3_K(byte* x, float* y, int n)
    {
        sbyte* scales = stackalloc sbyte[16];
        for (int b = 0; b < n / 256; b++, x += Blocks.Q3_K)
        {
            byte* hm = x;
            byte* q = x + 32;
            float dAll = Fp16.ToFloat(x + 108);
            Blocks.UnpackScalesQ3K(x + 96, scales);
            int isc = 0;
            int m = 1;
            for (int half = 0; half < 2; half++, q += 32)
            {
                for (int shift = 0; shift < 8; shift += 2, m <<= 1)
                {
                    float dl = dAll * scales[isc++];
                    for (int l = 0; l < 16; l++) *y++ = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    dl = dAll * scales[isc++];
                    for (int l = 0; l < 16; l++) *y++ = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) != 0 ? 0 : 4));
                }
            }
        }
    }

    public static void Q4_K(byte* x, float* y, int n)
    {
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K)
        {
            float d = Fp16.ToFloat(x), min = Fp16.ToFloat(x + 2);
            Blocks.UnpackScaleMinK4(x + 4, sc, mn);
            byte* q = x + 16;
            for (int j = 0; j < 4; j++, q += 32)
            {
                float d1 = d * sc[2 * j], m1 = min * mn[2 * j];
                float d2 = d * sc[2 * j + 1], m2 = min * mn[2 * j + 1];
                for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - m1;
                for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
            }
        }
    }

    public static void Q5_K(byte* x, float* y, int n)
    {
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        for (int b = 0; b < n / 256; b++, x += Blocks.Q5_K)
        {
            float d = Fp16.ToFloat(x), min = Fp16.ToFloat(x + 2);
            Blocks.UnpackScaleMinK4(x + 4, sc, mn);
            byte* qh = x + 16;
            byte* ql = x + 48;
            int u1 = 1, u2 = 2;
            for (int j = 0; j < 4; j++, ql += 32, u1 <<= 2, u2 <<= 2)
            {
                float d1 = d * sc[2 * j], m1 = min * mn[2 * j];
                float d2 = d * sc[2 * j + 1], m2 = min * mn[2 * j + 1];
                for (int l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    public static void Q6_K(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 256; b++, x += Blocks.Q6_K)
        {
            float d = Fp16.ToFloat(x + 208);
            byte* ql = x;
            byte* qh = x + 128;
            sbyte* sc = (sbyte*)(x + 192);
            for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8)
            {
                for (int l = 0; l < 32; l++)
                {
                    int isc = l / 16;
                    int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * sc[isc] * q1;
                    y[l + 32] = d * sc[isc + 2] * q2;
                    y[l + 64] = d * sc[isc + 4] * q3;
                    y[l + 96] = d * sc[isc + 6] * q4;
                }
            }
        }
    }

    public static void Q8_K(byte* x, float* y, int n)
    {
        for (int b = 0; b < n / 256; b++, x += Blocks.Q8_K, y += 256)
        {
            float d = *(float*)x;
            sbyte* qs = (sbyte*)(x + 4);
            for (int j = 0; j < 256; j++) y[j] = d * qs[j];
        }
    }
}
