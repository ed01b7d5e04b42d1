namespace Llambda.Tensors.Kernels;

/// <summary>
/// Weight quantizers with the exact arithmetic of ggml's reference quantizers (quantize_row_*_ref), which is what
/// llama.cpp's <c>llama-quantize</c> runs when no importance matrix is given. "Exact" is the point: every float
/// operation happens in the same order on single-precision values, so the output bytes are identical and a file
/// we quantize is the file llama.cpp would have written. Keep it scalar and keep the expression order; a
/// "cleaner" rewrite (or a fused multiply-add) changes the rounding and breaks the byte match the tests prove.
/// </summary>
internal static unsafe class WeightQuantizeKernels
{
    private const int QK = 32;    // values per block of the legacy types
    private const int QK_K = 256; // values per super-block of the K-quants

    /// <summary>ggml's tiny threshold below which a group counts as all zeros.</summary>
    private const float GroupMaxEps = 1e-15f;

    /// <summary>ggml's nearest_int: round half to even (valid for |x| &lt; 2^22, which quantized levels always are).</summary>
    private static int NearestInt(float x) => (int)MathF.Round(x);

    // ---- legacy block types ----

    /// <summary>quantize_row_q4_1_ref: 4-bit with a per-block min; d = (max - min) / 15.</summary>
    public static void Q4_1(float* x, byte* y, int n)
    {
        for (int b = 0; b < n / QK; b++, x += QK, y += Blocks.Q4_1)
        {
            MinMax(x, out float min, out float max);
            float d = (max - min) / 15;
            float id = d != 0f ? 1.0f / d : 0.0f;
            *(ushort*)y = Fp16.FromFloat(d);
            *(ushort*)(y + 2) = Fp16.FromFloat(min);
            byte* qs = y + 4;
            for (int j = 0; j < QK / 2; j++)
            {
                float x0 = (x[j] - min) * id;
                float x1 = (x[QK / 2 + j] - min) * id;
                int xi0 = (byte)Math.Min(15, (int)(sbyte)(int)(x0 + 0.5f));
                int xi1 = (byte)Math.Min(15, (int)(sbyte)(int)(x1 + 0.5f));
                qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>quantize_row_q5_0_ref: 5-bit symmetric; d = max / -16 where max is the value of largest magnitude.</summary>
    public static void Q5_0(float* x, byte* y, int n)
    {
        for (int b = 0; b < n / QK; b++, x += QK, y += Blocks.Q5_0)
        {
            float amax = 0, max = 0;
            for (int j = 0; j < QK; j++)
            {
                if (amax < MathF.Abs(x[j])) { amax = MathF.Abs(x[j]); max = x[j]; }
            }
            float d = max / -16;
            float id = d != 0f ? 1.0f / d : 0.0f;
            *(ushort*)y = Fp16.FromFloat(d);
            uint qh = 0;
            byte* qs = y + 6;
            for (int j = 0; j < QK / 2; j++)
            {
                float x0 = x[j] * id;
                float x1 = x[QK / 2 + j] * id;
                int xi0 = (byte)Math.Min(31, (int)(sbyte)(int)(x0 + 16.5f));
                int xi1 = (byte)Math.Min(31, (int)(sbyte)(int)(x1 + 16.5f));
                qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= (uint)((xi0 & 0x10) >> 4) << j;
                qh |= (uint)((xi1 & 0x10) >> 4) << (j + QK / 2);
            }
            *(uint*)(y + 2) = qh;
        }
    }

    /// <summary>quantize_row_q5_1_ref: 5-bit with a per-block min; d = (max - min) / 31.</summary>
    public static void Q5_1(float* x, byte* y, int n)
    {
        for (int b = 0; b < n / QK; b++, x += QK, y += Blocks.Q5_1)
        {
            MinMax(x, out float min, out float max);
            float d = (max - min) / 31;
            float id = d != 0f ? 1.0f / d : 0.0f;
            *(ushort*)y = Fp16.FromFloat(d);
            *(ushort*)(y + 2) = Fp16.FromFloat(min);
            uint qh = 0;
            byte* qs = y + 8;
            for (int j = 0; j < QK / 2; j++)
            {
                float x0 = (x[j] - min) * id;
                float x1 = (x[QK / 2 + j] - min) * id;
                int xi0 = (byte)(int)(x0 + 0.5f);
                int xi1 = (byte)(int)(x1 + 0.5f);
                qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= (uint)((xi0 & 0x10) >> 4) << j;
                qh |= (uint)((xi1 & 0x10) >> 4) << (j + QK / 2);
            }
            *(uint*)(y + 4) = qh;
        }
    }

    private static void MinMax(float* x, out float min, out float max)
    {
        min = float.MaxValue;
        max = -float.MaxValue;
        for (int j = 0; j < QK; j++)
        {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
    }

    // ---- K-quants ----

    /// <summary>
    /// quantize_row_q4_K_ref (<paramref name="fiveBit"/> false) and quantize_row_q5_K_ref (true): eight groups of 32
    /// values, each with a scale and a min found by make_qkx2_quants, both re-quantized to 6 bits against the
    /// super-block's fp16 d / dmin; then every value is re-quantized against the rounded scales.
    /// </summary>
    public static void Q4_K(float* x, byte* y, int n) => QkK(x, y, n, fiveBit: false);

    public static void Q5_K(float* x, byte* y, int n) => QkK(x, y, n, fiveBit: true);

    private static void QkK(float* x, byte* y, int n, bool fiveBit)
    {
        int nmax = fiveBit ? 31 : 15;
        int blockBytes = fiveBit ? Blocks.Q5_K : Blocks.Q4_K;
        byte* L = stackalloc byte[QK_K];
        byte* laux = stackalloc byte[32];
        float* weights = stackalloc float[32];
        float* mins = stackalloc float[QK_K / 32];
        float* scales = stackalloc float[QK_K / 32];

        for (int b = 0; b < n / QK_K; b++, x += QK_K, y += blockBytes)
        {
            float maxScale = 0, maxMin = 0; // the min is subtracted, so both are non-negative
            for (int j = 0; j < QK_K / 32; j++)
            {
                float* xj = x + 32 * j;
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += xj[l] * xj[l];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xj[l]);
                scales[j] = fiveBit
                    ? MakeQkx2Quants(32, nmax, xj, weights, L + 32 * j, out mins[j], laux, -0.5f, 0.1f, 15)
                    : MakeQkx2Quants(32, nmax, xj, weights, L + 32 * j, out mins[j], laux, -1f, 0.1f, 20);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            byte* packed = y + 4; // 12 bytes: 6-bit scales and mins
            new Span<byte>(packed, 12).Clear();
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < QK_K / 32; j++)
            {
                byte ls = (byte)Math.Min(63, (int)(byte)NearestInt(invScale * scales[j]));
                byte lm = (byte)Math.Min(63, (int)(byte)NearestInt(invMin * mins[j]));
                if (j < 4)
                {
                    packed[j] = ls;
                    packed[j + 4] = lm;
                }
                else
                {
                    packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                    packed[j - 4] |= (byte)((ls >> 4) << 6);
                    packed[j] |= (byte)((lm >> 4) << 6);
                }
            }
            *(ushort*)y = Fp16.FromFloat(maxScale / 63f);
            *(ushort*)(y + 2) = Fp16.FromFloat(maxMin / 63f);

            float dAll = Fp16.ToFloat(*(ushort*)y), dminAll = Fp16.ToFloat(*(ushort*)(y + 2));
            for (int j = 0; j < QK_K / 32; j++)
            {
                ScaleMin(j, packed, out byte sc, out byte m);
                float d = dAll * sc;
                if (d == 0f) continue; // keep the levels make_qkx2_quants chose
                float dm = dminAll * m;
                for (int ii = 0; ii < 32; ii++)
                {
                    int l = NearestInt((x[32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte)Math.Max(0, Math.Min(nmax, l));
                }
            }

            if (!fiveBit)
            {
                // Q4_K: byte l of each 32-byte run holds value l (low nibble) and value l + 32 (high nibble) of a 64-value chunk.
                byte* q = y + 16;
                for (int j = 0; j < QK_K; j += 64, q += 32)
                    for (int l = 0; l < 32; l++) q[l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
            }
            else
            {
                // Q5_K: the same nibbles, plus the fifth bit of each value in qh (two bits per 64-value chunk).
                byte* qh = y + 16;
                byte* ql = y + 48;
                new Span<byte>(qh, QK_K / 8).Clear();
                int m1 = 1, m2 = 2;
                for (int c = 0; c < QK_K; c += 64, ql += 32, m1 <<= 2, m2 <<= 2)
                {
                    for (int j = 0; j < 32; j++)
                    {
                        int l1 = L[c + j], l2 = L[c + j + 32];
                        if (l1 > 15) { l1 -= 16; qh[j] |= (byte)m1; }
                        if (l2 > 15) { l2 -= 16; qh[j] |= (byte)m2; }
                        ql[j] = (byte)(l1 | (l2 << 4));
                    }
                }
            }
        }
    }

    /// <summary>get_scale_min_k4: the j-th 6-bit scale and min of a Q4_K/Q5_K super-block.</summary>
    private static void ScaleMin(int j, byte* q, out byte d, out byte m)
    {
        if (j < 4)
        {
            d = (byte)(q[j] & 63);
            m = (byte)(q[j + 4] & 63);
        }
        else
        {
            d = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            m = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }

    /// <summary>
    /// make_qkx2_quants: fits levels 0..nmax with a scale and a (non-positive) offset to one group, minimising the
    /// weighted squared error; tries nstep+1 scales around nmax/(max-min) and solves the 2x2 least-squares problem for each.
    /// Returns the scale; <paramref name="theMin"/> gets the offset negated (so it is ≥ 0).
    /// </summary>
    private static float MakeQkx2Quants(int n, int nmax, float* x, float* weights, byte* L, out float theMin, byte* laux,
        float rmin, float rdelta, int nstep)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            theMin = -min;
            return 0f;
        }

        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * L[i] + min - x[i];
            bestError += weights[i] * (diff * diff);
        }

        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = NearestInt(iscale * (x[i] - min));
                l = Math.Max(0, Math.Min(nmax, l));
                laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * laux[i] + thisMin - x[i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError)
                {
                    for (int i = 0; i < n; i++) L[i] = laux[i];
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>
    /// quantize_row_q6_K_ref: sixteen groups of 16 values with a signed scale each (make_qx_quants, weights x²),
    /// scales re-quantized to int8 against the super-block's fp16 d, values to 6 bits (stored as 4 + 2 bits).
    /// </summary>
    public static void Q6_K(float* x, byte* y, int n)
    {
        sbyte* L = stackalloc sbyte[QK_K];
        float* scales = stackalloc float[QK_K / 16];
        for (int b = 0; b < n / QK_K; b++, x += QK_K, y += Blocks.Q6_K)
        {
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < QK_K / 16; ib++)
            {
                float scale = MakeQxQuants(16, 32, x + 16 * ib, L + 16 * ib);
                scales[ib] = scale;
                if (MathF.Abs(scale) > maxAbsScale)
                {
                    maxAbsScale = MathF.Abs(scale);
                    maxScale = scale;
                }
            }

            byte* ql = y, qh = y + 128;
            sbyte* sc = (sbyte*)(y + 192);
            if (maxAbsScale < GroupMaxEps)
            {
                new Span<byte>(y, Blocks.Q6_K).Clear();
                continue;
            }

            float iscale = -128f / maxScale;
            *(ushort*)(y + 208) = Fp16.FromFloat(1 / iscale);
            for (int ib = 0; ib < QK_K / 16; ib++) sc[ib] = (sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));

            float dAll = Fp16.ToFloat(*(ushort*)(y + 208));
            for (int j = 0; j < QK_K / 16; j++)
            {
                float d = dAll * sc[j];
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++)
                {
                    int l = NearestInt(x[16 * j + ii] / d);
                    L[16 * j + ii] = (sbyte)(Math.Max(-32, Math.Min(31, l)) + 32);
                }
            }

            // Each 128-value half: ql holds low nibbles of values l / l+64 and l+32 / l+96; qh their top two bits.
            for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32)
            {
                for (int l = 0; l < 32; l++)
                {
                    int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                    ql[l] = (byte)(q1 | (q3 << 4));
                    ql[l + 32] = (byte)(q2 | (q4 << 4));
                    qh[l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
        }
    }

    /// <summary>
    /// make_qx_quants with rmse_type 1 and no importance weights (weights = x²): symmetric levels -nmax..nmax-1,
    /// trying 19 scales around nmax/max and keeping the least-squares best. Levels are stored offset by nmax.
    /// </summary>
    private static float MakeQxQuants(int n, int nmax, float* x, sbyte* L)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }

        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = NearestInt(iscale * x[i]);
            l = Math.Max(-nmax, Math.Min(nmax - 1, l));
            L[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = NearestInt(iscale * x[i]);
                l = Math.Max(-nmax, Math.Min(nmax - 1, l));
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                {
                    int l = NearestInt(iscale * x[i]);
                    L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}
