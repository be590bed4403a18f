package dev.sagestudio.attention.tensor;

/**
 * IEEE 754 binary16 conversions with round-to-nearest-even, written out because Java 17 has no
 * {@code Float.floatToFloat16}. Handles subnormals, overflow to infinity and NaN.
 */
public final class Fp16 {
    /** Largest finite half value. */
    public static final float MAX = 65504f;

    private Fp16() {}

    /** Encodes {@code value} as binary16 bits, rounding to nearest, ties to even. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            // Infinity stays infinity; NaN keeps a quiet-NaN payload bit.
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExponent <= 0) {
            if (halfExponent < -10) {
                return (short) sign; // below half the smallest subnormal: rounds to zero
            }
            // Subnormal: shift the mantissa (with its implicit bit) into place and round.
            int full = mantissa | 0x800000;
            int shift = 14 - halfExponent;
            int halfMantissa = full >>> shift;
            int remainder = full & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (remainder > halfway || (remainder == halfway && (halfMantissa & 1) != 0)) {
                halfMantissa++;
            }
            return (short) (sign | halfMantissa);
        }
        int halfBits = (halfExponent << 10) | (mantissa >>> 13);
        int remainder = mantissa & 0x1fff;
        if (remainder > 0x1000 || (remainder == 0x1000 && (halfBits & 1) != 0)) {
            halfBits++; // a carry into the exponent is correct, up to and including infinity
        }
        return (short) (sign | halfBits);
    }

    /** Decodes binary16 bits exactly. */
    public static float toFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // exact: subnormal halves are multiples of 2^-24
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    /** {@code value} rounded to the nearest binary16 value, returned as a float. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
