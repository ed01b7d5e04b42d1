namespace Llambda.Tensors.Kernels;

/// <summary>
/// Plain scalar dot products (weights · prepared activation), one integer dot per block and one float scale per block,
/// following ggml's *_generic vec_dot kernels. n is the row length in values.
/// </summary>
internal static unsafe class ScalarDot
{
    public static float F32(float* x, float* y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i] * y[i];
        return (float)sum;
    }

    /// <summary>fp16 weights · activations already rounded to fp16 (held as f32), products in f32, sum in double.</summary>
    public static float F16(ushort* x, float* y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Fp16.TimesScaledActivation(x[i], y[i]);
        return (float)sum;
    }

    public static float BF16(ushort* x, float* y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Fp16.BF16ToFloat(x[i]) * y[i];
        return (float)sum;
    }

    public static float Q4_0(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_0, y += Blocks.Q8_0)
        {
            byte* qs = x + 2;
            sbyte* q8 = (sbyte*)(y + 2);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
                sumi += ((qs[j] & 0x0F) - 8) * q8[j] + ((qs[j] >> 4) - 8) * q8[j + 16];
            sumf += sumi * Fp16.ToFloat(x) * Fp16.ToFloat(y);
        }
        return sumf;
    }

    public static float Q4_1(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q4_1, y += Blocks.Q8_1)
        {
            byte* qs = x + 4;
            sbyte* q8 = (sbyte*)(y + 4);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
                sumi += (qs[j] & 0x0F) * q8[j] + (qs[j] >> 4) * q8[j + 16];
            sumf += (Fp16.ToFloat(x) * Fp16.ToFloat(y)) * sumi + Fp16.ToFloat(x + 2) * Fp16.ToFloat(y + 2);
        }
        return sumf;
    }

    public static float Q5_0(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q5_0, y += Blocks.Q8_0)
        {
            uint qh = *(uint*)(x + 2);
            byte* qs = x + 6;
            sbyte* q8 = (sbyte*)(y + 2);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                sumi += (((qs[j] & 0x0F) | xh0) - 16) * q8[j] + (((qs[j] >> 4) | xh1) - 16) * q8[j + 16];
            }
            sumf += (Fp16.ToFloat(x) * Fp16.ToFloat(y)) * sumi;
        }
        return sumf;
    }

    public static float Q5_1(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q5_1, y += Blocks.Q8_1)
        {
            uint qh = *(uint*)(x + 4);
            byte* qs = x + 8;
            sbyte* q8 = (sbyte*)(y + 4);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                sumi += ((qs[j] & 0x0F) | xh0) * q8[j] + ((qs[j] >> 4) | xh1) * q8[j + 16];
            }
            sumf += (Fp16.ToFloat(x) * Fp16.ToFloat(y)) * sumi + Fp16.ToFloat(x + 2) * Fp16.ToFloat(y + 2);
        }
        return sumf;
    }

    public static float Q8_0(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.Q8_0, y += Blocks.Q8_0)
        {
            sbyte* qx = (sbyte*)(x + 2);
            sbyte* qy = (sbyte*)(y + 2);
            int sumi = 0;
            for (int j = 0; j < 32; j++) sumi += qx[j] * qy[j];
            sumf += sumi * (Fp16.ToFloat(x) * Fp16.ToFloat(y));
        }
        return sumf;
    }

    public static float IQ4_NL(byte* x, byte* y, int n)
    {
        ReadOnlySpan<sbyte> kv = Blocks.IQ4NLValues;
        float sumf = 0;
        for (int b = 0; b < n / 32; b++, x += Blocks.IQ4_NL, y += Blocks.Q8_0)
        {
            byte* qs = x + 2;
            sbyte* q8 = (sbyte*)(y + 2);
            int sumi1 = 0, sumi2 = 0;
            for (int j = 0; j < 16; j++)
            {
                sumi1 += q8[j] * kv[qs[j] & 0xF];
                sumi2 += q8[j + 16] * kv[qs[j] >> 4];
            }
            sumf += Fp16.ToFloat(x) * Fp16.ToFloat(y) * (sumi1 + sumi2);
        }
        return sumf;
    }

    public static float Q2_K(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q2_K, y += Blocks.Q8_K)
        {
            byte* sc = x;
            byte* q2 = x + 16;
            sbyte* q8 = (sbyte*)(y + 4);
            short* bsums = (short*)(y + 260);
            int summs = 0;
            for (int j = 0; j < 16; j++) summs += bsums[j] * (sc[j] >> 4);
            float yd = *(float*)y;
            float dall = yd * Fp16.ToFloat(x + 80);
            float dmin = yd * Fp16.ToFloat(x + 82);
            int isum = 0, isc = 0;
            for (int half = 0; half < 2; half++, q2 += 32)
            {
                for (int shift = 0; shift < 8; shift += 2, q8 += 32)
                {
                    int s = 0;
                    for (int l = 0; l < 16; l++) s += q8[l] * ((q2[l] >> shift) & 3);
                    isum += (sc[isc++] & 0xF) * s;
                    s = 0;
                    for (int l = 16; l < 32; l++) s += q8[l] * ((q2[l] >> shift) & 3);
                    isum += (sc[isc++] & 0xF) * s;
                }
            }
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }

    public static float Q3_K(byte* x, byte* y, int n)
    {
        sbyte* scales = stackalloc sbyte[16];
        float sumf = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q3_K, y += Blocks.Q8_K)
        {
            byte* hm = x;
            byte* q3 = x + 32;
            sbyte* q8 = (sbyte*)(y + 4);
            Blocks.UnpackScalesQ3K(x + 96, scales);
            int sumi = 0, isc = 0, m = 1;
            for (int half = 0; half < 2; half++, q3 += 32)
            {
                for (int shift = 0; shift < 8; shift += 2, m <<= 1, q8 += 32)
                {
                    int s = 0;
                    for (int l = 0; l < 16; l++) s += q8[l] * (((q3[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    sumi += scales[isc++] * s;
                    s = 0;
                    for (int l = 16; l < 32; l++) s += q8[l] * (((q3[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    sumi += scales[isc++] * s;
                }
            }
            sumf += Fp16.ToFloat(x + 108) * *(float*)y * sumi;
        }
        return sumf;
    }

    /// <summary>
    /// The exact integer sums of one Q4_K × Q8_K super-block: the scale-weighted nibble products and the min-weighted
    /// block sums. Every Q4_K kernel starts from these; only the float accumulation order differs between them.
    /// </summary>
    internal static void Q4_KBlockSums(byte* x, byte* y, byte* sc, byte* mn, out int sumi, out int summ)
    {
        Blocks.UnpackScaleMinK4(x + 4, sc, mn);
        byte* q4 = x + 16;
        sbyte* q8 = (sbyte*)(y + 4);
        short* bsums = (short*)(y + 260);
        summ = 0;
        for (int j = 0; j < 8; j++) summ += mn[j] * (bsums[2 * j] + bsums[2 * j + 1]);
        sumi = 0;
        for (int j = 0; j < 4; j++, q4 += 32, q8 += 64)
        {
            int s1 = 0, s2 = 0;
            for (int l = 0; l < 32; l++)
            {
                s1 += (q4[l] & 0xF) * q8[l];
                s2 += (q4[l] >> 4) * q8[l + 32];
            }
            sumi += sc[2 * j] * s1 + sc[2 * j + 1] * s2;
        }
    }

    public static float Q4_K(byte* x, byte* y, int n)
    {
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        float sumf = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q4_K, y += Blocks.Q8_K)
        {
            ScalarDot.Q4_KBlockSums(x, y, sc, mn, out int sumi, out int summ);
            float yd = *(float*)y;
            sumf += Fp16.ToFloat(x) * yd * sumi - Fp16.ToFloat(x + 2) * yd * summ;
        }
        return sumf;
    }

    public static float Q5_K(byte* x, byte* y, int n)
    {
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        float sumf = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q5_K, y += Blocks.Q8_K)
        {
            Blocks.UnpackScaleMinK4(x + 4, sc, mn);
            byte* qh = x + 16;
            byte* ql = x + 48;
            sbyte* q8 = (sbyte*)(y + 4);
            short* bsums = (short*)(y + 260);
            int summ = 0;
            for (int j = 0; j < 8; j++) summ += mn[j] * (bsums[2 * j] + bsums[2 * j + 1]);
            int sumi = 0, u1 = 1, u2 = 2;
            for (int j = 0; j < 4; j++, ql += 32, q8 += 64, u1 <<= 2, u2 <<= 2)
            {
                int s1 = 0, s2 = 0;
                for (int l = 0; l < 32; l++)
                {
                    s1 += ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) * q8[l];
                    s2 += ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) * q8[l + 32];
                }
                sumi += sc[2 * j] * s1 + sc[2 * j + 1] * s2;
            }
            float yd = *(float*)y;
            sumf += Fp16.ToFloat(x) * yd * sumi - Fp16.ToFloat(x + 2) * yd * summ;
        }
        return sumf;
    }

    public static float Q6_K(byte* x, byte* y, int n)
    {
        float sumf = 0;
        for (int b = 0; b < n / 256; b++, x += Blocks.Q6_K, y += Blocks.Q8_K)
        {
            byte* ql = x;
            byte* qh = x + 128;
            sbyte* sc = (sbyte*)(x + 192);
            sbyte* q8 = (sbyte*)(y + 4);
            int sumi = 0;
            for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, q8 += 128)
            {
                for (int g = 0; g < 2; g++) // two groups of 16 within each 32
                {
                    int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (int l = g * 16; l < g * 16 + 16; l++)
                    {
                        int v1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                        int v2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                        int v3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                        int v4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                        s0 += v1 * q8[l];
                        s1 += v2 * q8[l + 32];
                        s2 += v3 * q8[l + 64];
                        s3 += v4 * q8[l + 96];
                    }
                    sumi += sc[g] * s0 + sc[g + 2] * s1 + sc[g + 4] * s2 + sc[g + 6] * s3;
                }
            }
            sumf += Fp16.ToFloat(x + 208) * *(float*)y * sumi;
        }
        return sumf;
    }
}
