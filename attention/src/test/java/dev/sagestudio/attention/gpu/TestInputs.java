package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.SplittableRandom;

/**
 * Random Q, K, V shaped like real diffusion-transformer activations: K carries a large per-channel bias
 * (what SageAttention's K smoothing removes) and, optionally, rare outliers.
 */
final class TestInputs {
    private TestInputs() {}

    enum Kind {
        /** Gaussian Q and V; K = Gaussian + per-channel bias (σ 4). */
        BIASED_K,
        /** As BIASED_K, plus 0.2% of K and Q entries multiplied by 8 (outliers). */
        BIASED_K_WITH_OUTLIERS
    }

    static AttentionRequest request(long seed, Kind kind, DType dtype, Layout layout, int batch, int qHeads,
                                    int kvHeads, int qLen, int kvLen, int headDim, boolean causal) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean outliers = kind == Kind.BIASED_K_WITH_OUTLIERS;
        HostTensor q = tensor(random, dtype, layout, batch, qHeads, qLen, headDim, 0, outliers);
        HostTensor k = tensor(random, dtype, layout, batch, kvHeads, kvLen, headDim, 4.0, outliers);
        HostTensor v = tensor(random, dtype, layout, batch, kvHeads, kvLen, headDim, 0, false);
        return AttentionRequest.of(q, k, v, causal);
    }

    private static HostTensor tensor(SplittableRandom random, DType dtype, Layout layout, int batch, int heads,
                                     int tokens, int headDim, double channelBias, boolean outliers) {
        float[] values = new float[batch * heads * tokens * headDim];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                double[] bias = new double[headDim];
                for (int c = 0; c < headDim; c++) {
                    bias[c] = channelBias * gaussian(random);
                }
                for (int n = 0; n < tokens; n++) {
                    for (int c = 0; c < headDim; c++) {
                        double x = gaussian(random);
                        if (outliers && random.nextDouble() < 0.002) {
                            x *= 8;
                        }
                        values[(int) layout.offset(b, h, n, c, heads, tokens, headDim)] = (float) (x + bias[c]);
                    }
                }
            }
        }
        return HostTensor.of(dtype, layout, batch, heads, tokens, headDim, values);
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
