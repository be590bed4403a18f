package dev.sagestudio.attention.quant;

import java.util.function.IntUnaryOperator;

/**
 * Symmetric INT8 quantization as SageAttention does it, for rows of a (tokens × headDim) matrix
 * grouped by a {@link Granularity}.
 *
 * <p>For each group: amax = max(max|x|, {@value #AMAX_FLOOR}); scale = amax / 127 (float);
 * q = roundHalfAwayFromZero(x · (127 / amax)), clamped to [-127, 127]. The floor on amax is
 * SageAttention's own rule for all-zero groups (its CUDA quantizer starts the max reduction at
 * 1e-7 "to prevent dividing by zero"): an all-zero group gets scale 1e-7/127 and all-zero values,
 * never NaN or Inf. Rounding is half away from zero, as SageAttention's Triton quantizer does (it
 * adds ±0.5 and truncates); a GPU kernel must do the same to match bit for bit (its CUDA
 * quantizer's {@code cvt.rni} would round exact ties to even instead).
 */
public final class Int8Quantizer {
    /** Smallest max|x| a group is given, so an all-zero group never divides by zero. */
    public static final float AMAX_FLOOR = 1e-7f;

    private Int8Quantizer() {}

    /** Rounds to the nearest integer, ties away from zero (2.5 → 3, -2.5 → -3). */
    public static int roundHalfAwayFromZero(float x) {
        // Adding 0.5 in double is exact for every float, so there is no double rounding. The sign is
        // applied after rounding the magnitude, without a branch (random signs defeat prediction).
        int magnitude = (int) Math.floor(Math.abs((double) x) + 0.5);
        return x < 0 ? -magnitude : magnitude;
    }

    /** {@code x} quantized with the multiplier {@code 127 / amax}, clamped to [-127, 127]. */
    public static byte quantize(float x, float inverseScale) {
        int q = roundHalfAwayFromZero(x * inverseScale);
        return (byte) Math.max(-127, Math.min(127, q));
    }

    /** The scale for a group whose largest magnitude is {@code amax}: max(amax, floor) / 127. */
    public static float scaleFor(float amax) {
        return Math.max(amax, AMAX_FLOOR) / 127f;
    }

    /**
     * Quantizes {@code rows × dim} values (row-major, {@code offset} into {@code x}) with one scale
     * per group; {@code groupOf} maps a row to its group, {@code groups} is the number of groups.
     */
    public static QuantizedInt8 quantizeRows(float[] x, int offset, int rows, int dim, int groups,
                                             IntUnaryOperator groupOf) {
        int[] groupOfRow = new int[rows];
        float[] amax = new float[groups];
        for (int n = 0; n < rows; n++) {
            int g = groupOf.applyAsInt(n);
            if (g < 0 || g >= groups) {
                throw new IllegalArgumentException("row " + n + " maps to group " + g + " outside [0, " + groups + ")");
            }
            groupOfRow[n] = g;
            amax[g] = Math.max(amax[g], rowAmax(x, offset + n * dim, dim));
        }
        float[] scales = new float[groups];
        float[] inverse = new float[groups];
        for (int g = 0; g < groups; g++) {
            float a = Math.max(amax[g], AMAX_FLOOR);
            scales[g] = a / 127f;
            inverse[g] = 127f / a;
        }
        byte[] values = new byte[rows * dim];
        for (int n = 0; n < rows; n++) {
            float inv = inverse[groupOfRow[n]];
            int base = offset + n * dim;
            for (int d = 0; d < dim; d++) {
                values[n * dim + d] = quantize(x[base + d], inv);
            }
        }
        return new QuantizedInt8(rows, dim, values, scales, groupOfRow);
    }

    /**
     * max |x| over {@code dim} values from {@code base}, NaN if any is NaN. Four independent running
     * maxima instead of one chain of dependent maxima, which made quantization latency-bound: the
     * maximum of a set does not depend on the order it is taken in (after abs there are no signed
     * zeros to tell apart).
     */
    private static float rowAmax(float[] x, int base, int dim) {
        float m0 = 0f;
        float m1 = 0f;
        float m2 = 0f;
        float m3 = 0f;
        int d = 0;
        for (; d + 4 <= dim; d += 4) {
            m0 = Math.max(m0, Math.abs(x[base + d]));
            m1 = Math.max(m1, Math.abs(x[base + d + 1]));
            m2 = Math.max(m2, Math.abs(x[base + d + 2]));
            m3 = Math.max(m3, Math.abs(x[base + d + 3]));
        }
        for (; d < dim; d++) {
            m0 = Math.max(m0, Math.abs(x[base + d]));
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    /** Quantizes query rows (already multiplied by softmax scale · log2 e) with {@code granularity}. */
    public static QuantizedInt8 quantizeQuery(float[] q, int offset, int rows, int dim, Granularity granularity) {
        return quantizeRows(q, offset, rows, dim, granularity.queryGroups(rows), granularity::queryGroup);
    }

    /** Quantizes key rows (already smoothed, if smoothing is on) with {@code granularity}. */
    public static QuantizedInt8 quantizeKey(float[] k, int offset, int rows, int dim, Granularity granularity) {
        return quantizeRows(k, offset, rows, dim, granularity.keyGroups(rows), granularity::keyGroup);
    }
}
