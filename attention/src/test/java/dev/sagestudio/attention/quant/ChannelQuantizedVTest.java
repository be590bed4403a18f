package dev.sagestudio.attention.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChannelQuantizedVTest {

    @Test
    void fp8ValuesStayWithinHalfAnFp8StepOfTheScaledInput() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        int rows = 77;
        int dim = 8;
        float[] v = new float[rows * dim];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * (1 + i % dim * 10));
        }
        ChannelQuantizedV q = ChannelQuantizedV.fp8(v, 0, rows, dim);
        for (int n = 0; n < rows; n++) {
            for (int d = 0; d < dim; d++) {
                double original = v[n * dim + d];
                double restored = q.values()[n * dim + d] * (double) q.scales()[d];
                // relative 2^-4 for normals, plus half the smallest subnormal step in absolute terms
                double bound = Math.abs(original) * 0x1p-4 + 0x1p-10 * q.scales()[d];
                assertTrue(Math.abs(original - restored) <= bound * 1.0001, "seed " + seed + " n=" + n + " d=" + d);
            }
        }
        for (int d = 0; d < dim; d++) {
            float max = 0;
            for (int n = 0; n < rows; n++) {
                max = Math.max(max, Math.abs(q.values()[n * dim + d]));
            }
            assertEquals(448f, max, "each channel's largest magnitude maps to 448");
        }
    }

    @Test
    void int8ValuesAreIntegersWithinHalfAStep() {
        float[] v = {1f, -2f, 0.5f, 4f, -0.26f, 8f};
        ChannelQuantizedV q = ChannelQuantizedV.int8(v, 0, 3, 2);
        assertEquals(1f / 127, q.scales()[0], 1e-9);
        assertEquals(8f / 127, q.scales()[1], 1e-9);
        for (int i = 0; i < v.length; i++) {
            float value = q.values()[i];
            assertEquals(Math.rint(value), value);
            assertTrue(Math.abs(value * q.scales()[i % 2] - v[i]) <= q.scales()[i % 2] / 2 + 1e-6);
        }
    }

    @Test
    void anAllZeroChannelGivesFiniteScalesAndZeros() {
        float[] v = new float[4 * 2];
        for (ChannelQuantizedV q : new ChannelQuantizedV[] {ChannelQuantizedV.fp8(v, 0, 4, 2),
            ChannelQuantizedV.int8(v, 0, 4, 2)}) {
            for (float s : q.scales()) {
                assertTrue(Float.isFinite(s) && s > 0);
            }
            for (float x : q.values()) {
                assertEquals(0f, Math.abs(x));
            }
        }
    }
}
