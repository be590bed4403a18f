package dev.sagestudio.attention.tensor;

/** bfloat16 conversions: the top 16 bits of a float32, rounded to nearest, ties to even. */
public final class Bf16 {
    private Bf16() {}

    /** Encodes {@code value} as bfloat16 bits, rounding to nearest, ties to even. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) {
            return (short) ((bits >>> 16) | 0x40); // keep NaN a (quiet) NaN after truncation
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** Decodes bfloat16 bits exactly. */
    public static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** {@code value} rounded to the nearest bfloat16 value, returned as a float. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
