package dev.sagestudio.attention.quant;

/**
 * FP8 E4M3 in the OCP "fn" variant that NVIDIA tensor cores use ({@code __nv_fp8_e4m3}): 1 sign,
 * 4 exponent (bias 7) and 3 mantissa bits; no infinities; only S.1111.111 is NaN; largest finite
 * value 448; subnormals down to 2^-9.
 *
 * <p>Encoding rounds to nearest, ties to even, and saturates finite values beyond ±448 to ±448
 * (as {@code cvt.rn.satfinite.e4m3x2.f32} does); NaN stays NaN (infinities saturate too).
 */
public final class Fp8E4M3 {
    /** Largest finite value. */
    public static final float MAX = 448f;
    /** Smallest positive (subnormal) value, 2^-9. */
    public static final float MIN_SUBNORMAL = 0x1p-9f;
    /** Smallest positive normal value, 2^-6. */
    public static final float MIN_NORMAL = 0x1p-6f;

    private static final int NAN_BITS = 0x7f;
    private static final int MAX_BITS = 0x7e;

    private static final float[] DECODE = new float[256];

    static {
        for (int bits = 0; bits < 256; bits++) {
            DECODE[bits] = decodeSlow(bits);
        }
    }

    private Fp8E4M3() {}

    /** Encodes {@code value} as E4M3 bits (low 8 bits of the result). */
    public static byte fromFloat(float value) {
        if (Float.isNaN(value)) {
            return (byte) NAN_BITS;
        }
        int sign = (Float.floatToRawIntBits(value) >>> 24) & 0x80;
        float magnitude = Math.abs(value);
        int bits;
        if (magnitude < MIN_NORMAL) {
            // Subnormal range: a multiple of 2^-9; rint rounds ties to even, and 8 · 2^-9 = 2^-6 is
            // correctly the bit pattern of the smallest normal (exponent field 1, mantissa 0).
            bits = (int) Math.rint(magnitude * 512.0);
        } else if (magnitude >= 512f) {
            bits = MAX_BITS; // also catches infinity
        } else {
            int exponent = Math.getExponent(magnitude); // -6..8
            // Quantum of this binade is 2^(exponent-3); q in [8, 16], 16 carries into the next binade.
            double q = Math.rint(magnitude * Math.scalb(1.0, 3 - exponent));
            bits = ((exponent + 7) << 3) + (int) q - 8;
        }
        if (bits > MAX_BITS) {
            bits = MAX_BITS; // saturate: 464 and above would round to the NaN pattern
        }
        return (byte) (sign | bits);
    }

    /** Decodes E4M3 bits exactly. */
    public static float toFloat(byte bits) {
        return DECODE[bits & 0xff];
    }

    /** {@code value} rounded to the nearest E4M3 value (with saturation), as a float. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }

    private static float decodeSlow(int bits) {
        int sign = bits & 0x80;
        int exponent = (bits >>> 3) & 0xf;
        int mantissa = bits & 0x7;
        float magnitude;
        if (exponent == 0xf && mantissa == 0x7) {
            magnitude = Float.NaN;
        } else if (exponent == 0) {
            magnitude = mantissa * MIN_SUBNORMAL;
        } else {
            magnitude = Math.scalb(1f + mantissa / 8f, exponent - 7);
        }
        return sign != 0 ? -magnitude : magnitude;
    }
}
