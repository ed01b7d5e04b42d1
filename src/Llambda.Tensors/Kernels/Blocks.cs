namespace Llambda.Tensors.Kernels;

/// <summary>
/// Byte layouts of ggml's quantized blocks (ggml-common.h). All multi-byte fields are little-endian;
/// "d"/"m"/"dmin"/"s" are fp16 unless noted.
/// </summary>
internal static class Blocks
{
    public const int QK = 32;     // values per block of the 32-wide formats
    public const int QK_K = 256;  // values per super-block of the k-quants

    // Q4_0: d, qs[16] (value j in the low nibble of qs[j], value j+16 in the high nibble), q - 8
    public const int Q4_0 = 18;
    // Q4_1: d, m, qs[16], d*q + m
    public const int Q4_1 = 20;
    // Q5_0: d, qh[4] (bit j = 5th bit of value j), qs[16], q - 16
    public const int Q5_0 = 22;
    // Q5_1: d, m, qh[4], qs[16]
    public const int Q5_1 = 24;
    // Q8_0: d, qs[32] int8
    public const int Q8_0 = 34;
    // Q8_1: d, s (= d * sum(qs)), qs[32] int8
    public const int Q8_1 = 36;
    // IQ4_NL: d, qs[16] indices into the non-linear table
    public const int IQ4_NL = 18;

    // Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d @80, dmin @82
    public const int Q2_K = 84;
    // Q3_K: hmask[32], qs[64], scales[12] (6-bit packed), d @108
    public const int Q3_K = 110;
    // Q4_K: d @0, dmin @2, scales[12] @4, qs[128] @16
    public const int Q4_K = 144;
    // Q5_K: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48
    public const int Q5_K = 176;
    // Q6_K: ql[128] @0, qh[64] @128, int8 scales[16] @192, d @208
    public const int Q6_K = 210;
    // Q8_K: float d @0, int8 qs[256] @4, int16 bsums[16] @260
    public const int Q8_K = 292;

    public static ReadOnlySpan<sbyte> IQ4NLValues => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>
    /// Unpacks the twelve 6-bit scale/min bytes of a Q4_K/Q5_K super-block into 8 scales and 8 mins
    /// (ggml's get_scale_min_k4).
    /// </summary>
    public static unsafe void UnpackScaleMinK4(byte* q, byte* scales, byte* mins)
    {
        for (int j = 0; j < 4; j++)
        {
            scales[j] = (byte)(q[j] & 63);
            mins[j] = (byte)(q[j + 4] & 63);
        }
        for (int j = 4; j < 8; j++)
        {
            scales[j] = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            mins[j] = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }

    /// <summary>
    /// Same as <see cref="UnpackScaleMinK4"/> with word operations: the 8 scales in <paramref name="scales"/> (byte k =
    /// scale k) and the 8 mins in <paramref name="mins"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static unsafe void UnpackScaleMinK4(byte* q, out ulong scales, out ulong mins)
    {
        uint u0 = *(uint*)q, u1 = *(uint*)(q + 4), u2 = *(uint*)(q + 8);
        const uint k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
        uint s0 = u0 & k1;
        uint s1 = (u2 & k2) | (((u0 >> 6) & k3) << 4);
        uint m0 = u1 & k1;
        uint m1 = ((u2 >> 4) & k2) | (((u1 >> 6) & k3) << 4);
        scales = s0 | ((ulong)s1 << 32);
        mins = m0 | ((ulong)m1 << 32);
    }

    /// <summary>Unpacks the twelve bytes of Q3_K scales into 16 signed scales (already minus 32).</summary>
    public static unsafe void UnpackScalesQ3K(byte* s, sbyte* dst)
    {
        // 16 six-bit values: low 4 bits from s[0..7] nibbles, high 2 bits from s[8..11]
        for (int j = 0; j < 16; j++)
        {
            int low = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
            int high = (s[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
            dst[j] = (sbyte)((low | (high << 4)) - 32);
        }
    }
}
