package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.tensor.Fp16;

/**
 * Faster, bit-identical versions of scalar operations the emulator does per score or value: the
 * base-2 exponential of its online softmax and the rounding to FP16.
 *
 * <p>{@link #exp2} returns exactly {@code (float) Math.exp(x · ln 2)} (the emulator's definition).
 * HotSpot's {@code Math.exp} intrinsic costs about 15 ns; here exp(y) is evaluated in double with a
 * relative error of a few double ulps (range reduction y = (n/64)·ln 2 + r, |r| ≤ ln 2 / 128, a
 * table of 2^(j/64) and a degree-5 Taylor polynomial), which is far below half a float ulp. Rounding that approximation to float gives the
 * same float as rounding {@code Math.exp}'s result (itself within 1 double ulp of exp(y)) unless a
 * float rounding midpoint lies within a few double ulps of exp(y); such inputs are recognized (the
 * 29 bits that float rounding drops are within {@value #MIDPOINT_GUARD} of the midpoint pattern)
 * and handed to {@code Math.exp}. Arguments outside [{@value #FAST_MIN}, 0] (float subnormal
 * results, NaN, positive values) go to {@code Math.exp} too. {@code SoftmaxMathTest} compares the
 * two on a dense sample of the fast range; docs/attention-cpu.md records a check of every float.
 */
final class SoftmaxMath {
    static final double LN2 = 0.6931471805599453;
    static final float FAST_MIN = -125f;
    /** Distance, in double ulps, from a float rounding midpoint below which Math.exp decides. */
    static final int MIDPOINT_GUARD = 1 << 12;

    private static final int TABLE_BITS = 6;
    private static final int TABLE_SIZE = 1 << TABLE_BITS;
    private static final double TABLE_OVER_LN2 = TABLE_SIZE / LN2;
    /** ln 2 / 64 = STEP_HI + STEP_LO to about 2^-90; n · STEP_HI is exact for |n| < 2^20. */
    private static final double STEP_HI = 0x1.62e42fee00000p-7;
    private static final double STEP_LO = 0x1.a39ef35793c76p-39;
    /** 2^(j/64), j = 0..63, from the strictly specified (fdlibm) pow, within 1 ulp. */
    private static final double[] POW2_FRACTION = new double[TABLE_SIZE];

    static {
        for (int j = 0; j < TABLE_SIZE; j++) {
            POW2_FRACTION[j] = StrictMath.pow(2.0, j / (double) TABLE_SIZE);
        }
    }

    private static final double C3 = 1.0 / 6;
    private static final double C4 = 1.0 / 24;
    private static final double C5 = 1.0 / 120;

    private static final int DROPPED_BITS = 52 - 23;
    private static final long DROPPED_MASK = (1L << DROPPED_BITS) - 1;
    private static final long MIDPOINT = 1L << (DROPPED_BITS - 1);

    private SoftmaxMath() {}

    /** {@code (float) Math.exp(x * LN2)}, bit for bit. */
    static float exp2(float x) {
        if (!(x >= FAST_MIN && x <= 0f)) {
            return (float) Math.exp(x * LN2);
        }
        double y = x * LN2; // the argument Math.exp would get
        double e = exp(y);
        long dropped = Double.doubleToRawLongBits(e) & DROPPED_MASK;
        if (Math.abs(dropped - MIDPOINT) <= MIDPOINT_GUARD) {
            return (float) Math.exp(y);
        }
        return (float) e;
    }

    /** exp(y) for y in [-125·ln 2, 0], to a few double ulps (see the class comment). */
    static double exp(double y) {
        int n = (int) Math.rint(y * TABLE_OVER_LN2);
        double r = (y - n * STEP_HI) - n * STEP_LO; // |r| ≤ ln 2 / 128
        double r2 = r * r;
        // expm1(r) to degree 5 (the next term is below 2^-54), in Estrin form for a short dependency chain
        double expm1 = r + r2 * ((0.5 + r * C3) + r2 * (C4 + r * C5));
        double scale = Double.longBitsToDouble((long) ((n >> TABLE_BITS) + 1023) << 52);
        return POW2_FRACTION[n & (TABLE_SIZE - 1)] * scale * (1.0 + expm1);
    }

    /**
     * {@link Fp16#round}, bit for bit. Magnitudes in [2^-14, 2^15) (FP16-normal, and rounding cannot
     * overflow): the float mantissa is rounded to 10 bits, ties to even, in integer arithmetic (a carry
     * into the exponent is correct). Magnitudes below 2^-14 (FP16-subnormal or zero): rounded to a
     * multiple of 2^-24 by {@link Math#rint} on the exactly scaled value. Large, infinite and NaN values
     * go to {@link Fp16#round}.
     */
    static float roundFp16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int exponent = (bits >>> 23) & 0xff;
        if (exponent > 127 + 14) {
            return Fp16.round(value);
        }
        if (exponent < 127 - 14) {
            return (float) (Math.rint(value * 0x1p24f) * 0x1p-24);
        }
        return Float.intBitsToFloat((bits + 0xfff + ((bits >>> 13) & 1)) & 0xffffe000);
    }
}
