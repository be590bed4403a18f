package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Seeded random Q, K, V for one attention call. The same seed and arguments always give the same
 * tensors (values are drawn in HND order, then laid out as asked).
 */
public record AttentionInputs(HostTensor q, HostTensor k, HostTensor v) {
    /** Standard deviation of the per-channel K bias of {@link InputDistribution#BIASED_K}. */
    public static final double K_BIAS_SCALE = 50.0;
    /** Standard deviation of the per-channel Q bias of {@link InputDistribution#BIASED_K}. */
    public static final double Q_BIAS_SCALE = 2.0;
    /** Standard deviation of the per-channel V bias of {@link InputDistribution#BIASED_K}. */
    public static final double V_BIAS_SCALE = 1.0;
    /** Degrees of freedom of the Student's t of {@link InputDistribution#OUTLIERS}. */
    public static final int T_DEGREES_OF_FREEDOM = 3;

    public AttentionInputs {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
    }

    /** A request with softmax scale 1/sqrt(D). */
    public AttentionRequest request(boolean causal) {
        return AttentionRequest.of(q, k, v, causal);
    }

    /**
     * Draws Q [batch, qHeads, qLen, headDim] and K, V [batch, kvHeads, kvLen, headDim] from
     * {@code distribution}, rounded to {@code dtype}, in {@code layout}.
     */
    public static AttentionInputs generate(InputDistribution distribution, int batch, int qHeads, int kvHeads,
                                           int qLen, int kvLen, int headDim, DType dtype, Layout layout,
                                           long seed) {
        Objects.requireNonNull(distribution, "distribution");
        SplittableRandom random = new SplittableRandom(seed);
        float[] q = new float[batch * qHeads * qLen * headDim];
        float[] k = new float[batch * kvHeads * kvLen * headDim];
        float[] v = new float[k.length];
        boolean heavy = distribution == InputDistribution.OUTLIERS;
        fill(q, random, heavy);
        fill(k, random, heavy);
        fill(v, random, heavy);
        if (distribution == InputDistribution.BIASED_K) {
            addChannelBias(q, batch * qHeads, qLen, headDim, Q_BIAS_SCALE, random);
            addChannelBias(k, batch * kvHeads, kvLen, headDim, K_BIAS_SCALE, random);
            addChannelBias(v, batch * kvHeads, kvLen, headDim, V_BIAS_SCALE, random);
        }
        return new AttentionInputs(
                tensor(q, dtype, layout, batch, qHeads, qLen, headDim),
                tensor(k, dtype, layout, batch, kvHeads, kvLen, headDim),
                tensor(v, dtype, layout, batch, kvHeads, kvLen, headDim));
    }

    private static HostTensor tensor(float[] hnd, DType dtype, Layout layout, int batch, int heads, int tokens,
                                     int headDim) {
        HostTensor t = HostTensor.of(dtype, Layout.HND, batch, heads, tokens, headDim, hnd);
        return layout == Layout.HND ? t : t.toLayout(layout);
    }

    /** Adds one bias per (batch·head, channel), drawn from N(0, scale²), to every token. */
    private static void addChannelBias(float[] values, int batchHeads, int tokens, int headDim, double scale,
                                       SplittableRandom random) {
        for (int bh = 0; bh < batchHeads; bh++) {
            float[] bias = new float[headDim];
            for (int d = 0; d < headDim; d++) {
                bias[d] = (float) (gaussian(random) * scale);
            }
            for (int n = 0; n < tokens; n++) {
                int base = (bh * tokens + n) * headDim;
                for (int d = 0; d < headDim; d++) {
                    values[base + d] += bias[d];
                }
            }
        }
    }

    private static void fill(float[] values, SplittableRandom random, boolean heavyTailed) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (heavyTailed ? studentT(random) : gaussian(random));
        }
    }

    private static double gaussian(SplittableRandom random) {
        return random.nextGaussian();
    }

    /** Student's t: Z / sqrt(χ²_ν / ν). */
    private static double studentT(SplittableRandom random) {
        double chi2 = 0;
        for (int i = 0; i < T_DEGREES_OF_FREEDOM; i++) {
            double g = gaussian(random);
            chi2 += g * g;
        }
        return gaussian(random) / Math.sqrt(chi2 / T_DEGREES_OF_FREEDOM);
    }
}
