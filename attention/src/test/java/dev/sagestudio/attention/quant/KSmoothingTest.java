package dev.sagestudio.attention.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KSmoothingTest {

    @Test
    void channelMeanIsTheAverageOverTokens() {
        float[] k = {1, 10, 3, 20, 5, 30}; // 3 tokens, 2 channels
        assertArrayEquals(new float[] {3, 20}, KSmoothing.channelMean(k, 0, 3, 2, DType.FP32));
        KSmoothing.subtract(k, 0, 3, 2, new float[] {3, 20});
        assertArrayEquals(new float[] {-2, -10, 0, 0, 2, 10}, k);
    }

    @Test
    void meanIsRoundedToTheInputDtype() {
        float[] k = {1f, 1f, 1f + 0x1p-10f}; // mean 1 + 2^-10/3: not an fp16 value, rounds to 1
        assertEquals(1f, KSmoothing.channelMean(k, 0, 3, 1, DType.FP16)[0]);
        assertEquals((float) (1 + 0x1p-10 / 3), KSmoothing.channelMean(k, 0, 3, 1, DType.FP32)[0]);
    }

    @Test
    void smoothingLeavesAttentionUnchanged() {
        // Exactly true in real arithmetic (every score of a row shifts by q·mean); numerically the
        // only change is rounding, so the float64 reference agrees to ~1e-6 relative.
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        int n = 100;
        int dim = 64;
        float[] q = new float[n * dim];
        float[] k = new float[n * dim];
        float[] v = new float[n * dim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextGaussian();
            k[i] = (float) (random.nextGaussian() + 20 * ((i % dim) % 3 - 1));
            v[i] = (float) random.nextGaussian();
        }
        float[] smoothed = k.clone();
        KSmoothing.subtract(smoothed, 0, n, dim, KSmoothing.channelMean(k, 0, n, dim, DType.FP32));
        ReferenceAttention reference = new ReferenceAttention();
        for (boolean causal : new boolean[] {false, true}) {
            double[] plain = reference.computeExact(request(q, k, v, n, dim, causal));
            double[] shifted = reference.computeExact(request(q, smoothed, v, n, dim, causal));
            for (int i = 0; i < plain.length; i++) {
                assertEquals(plain[i], shifted[i], 1e-4, "seed " + seed + " element " + i);
            }
        }
        for (float x : smoothed) {
            assertTrue(Math.abs(x) < 10, "the bias is gone, seed " + seed);
        }
    }

    private static AttentionRequest request(float[] q, float[] k, float[] v, int n, int dim, boolean causal) {
        return AttentionRequest.of(HostTensor.of(DType.FP32, Layout.HND, 1, 1, n, dim, q),
                HostTensor.of(DType.FP32, Layout.HND, 1, 1, n, dim, k),
                HostTensor.of(DType.FP32, Layout.HND, 1, 1, n, dim, v), causal);
    }
}
