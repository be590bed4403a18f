package dev.sagestudio.attention.quant;

/**
 * The accumulator of FP8 tensor-core matrix multiplies ({@code mma.sync ... f32.e4m3.e4m3.f32}) on
 * Ada and Hopper. The SageAttention2 paper (Zhang et al., 2024) found that it is not a
 * full FP32 but "FP22": 1 sign bit, 8 exponent bits and 13 mantissa bits, so each accumulation step
 * drops the 10 lowest FP32 mantissa bits. We model that as truncation toward zero of the running
 * sum after each MMA k-step (32 products of FP8 values, exact, plus the incoming accumulator);
 * the hardware's exact internal alignment is undocumented, so this is the paper's model, not a
 * bit-exact replica.
 */
public final class Fp22 {
    /** Mantissa bits the accumulator keeps. */
    public static final int MANTISSA_BITS = 13;

    private static final long DOUBLE_DROP_MASK = ~((1L << (52 - MANTISSA_BITS)) - 1);
    private static final int FLOAT_DROP_MASK = ~((1 << (23 - MANTISSA_BITS)) - 1);

    private Fp22() {}

    /** {@code value} with its mantissa truncated (toward zero) to 13 bits. */
    public static float truncate(float value) {
        if (Float.isNaN(value) || Float.isInfinite(value)) {
            return value;
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(value) & FLOAT_DROP_MASK);
    }

    /**
     * {@code value} (an exact or double-precision sum) truncated toward zero to a 13-bit mantissa,
     * directly from double so there is no intermediate rounding to float.
     */
    public static float truncate(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return (float) value;
        }
        double truncated = Double.longBitsToDouble(Double.doubleToRawLongBits(value) & DOUBLE_DROP_MASK);
        return (float) truncated; // exact: 13 mantissa bits fit in a float (normal range assumed)
    }
}
