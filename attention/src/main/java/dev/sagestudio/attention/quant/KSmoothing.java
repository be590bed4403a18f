package dev.sagestudio.attention.quant;

import dev.sagestudio.attention.tensor.DType;

/**
 * SageAttention's smoothing of K: subtract the mean of K over tokens, per (batch, kv-head) and
 * channel. Every score of one query row shifts by the same amount q·mean, so softmax(QKᵀ) is
 * unchanged in exact arithmetic, while K loses the large per-channel bias that would otherwise eat
 * the INT8 range.
 *
 * <p>Numerics (shared with the GPU kernels): the mean is summed in double, divided by the token
 * count and rounded to the input dtype (SageAttention keeps {@code km} in the input dtype); the
 * subtraction is done in float.
 */
public final class KSmoothing {
    private KSmoothing() {}

    /**
     * The per-channel mean of {@code rows × dim} values starting at {@code offset}, rounded to
     * {@code dtype}.
     */
    public static float[] channelMean(float[] k, int offset, int rows, int dim, DType dtype) {
        double[] sum = new double[dim];
        for (int n = 0; n < rows; n++) {
            int base = offset + n * dim;
            for (int d = 0; d < dim; d++) {
                sum[d] += k[base + d];
            }
        }
        float[] mean = new float[dim];
        for (int d = 0; d < dim; d++) {
            mean[d] = dtype.round((float) (sum[d] / rows));
        }
        return mean;
    }

    /** Subtracts {@code mean} from every row in place (float arithmetic). */
    public static void subtract(float[] k, int offset, int rows, int dim, float[] mean) {
        for (int n = 0; n < rows; n++) {
            int base = offset + n * dim;
            for (int d = 0; d < dim; d++) {
                k[base + d] = k[base + d] - mean[d];
            }
        }
    }
}
