package dev.sagestudio.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import org.junit.jupiter.api.Test;

class ReferenceAttentionTest {
    private final ReferenceAttention reference = new ReferenceAttention();

    private static HostTensor hnd(int heads, int tokens, int dim, float... values) {
        return HostTensor.of(DType.FP32, Layout.HND, 1, heads, tokens, dim, values);
    }

    @Test
    void matchesAHandComputedSoftmax() {
        // One query [1, 0], two keys [ln 3 · sqrt 2, 0] and [0, 0] with scale 1/sqrt(2):
        // scores ln 3 and 0, weights 3/4 and 1/4.
        float k0 = (float) (Math.log(3) * Math.sqrt(2));
        AttentionRequest request = AttentionRequest.of(hnd(1, 1, 2, 1, 0), hnd(1, 2, 2, k0, 0, 0, 0),
                hnd(1, 2, 2, 4, 8, 0, -4), false);
        double[] out = reference.computeExact(request);
        assertEquals(3.0, out[0], 1e-6);
        assertEquals(5.0, out[1], 1e-6);
    }

    @Test
    void causalMaskLetsQueryISeeOnlyKeysUpToI() {
        // Zero queries: every visible key gets the same weight, so row i is the mean of v[0..i].
        AttentionRequest request = AttentionRequest.of(hnd(1, 3, 1, 0, 0, 0), hnd(1, 3, 1, 1, 2, 3),
                hnd(1, 3, 1, 3, 6, 9), true);
        assertArrayEquals(new double[] {3, 4.5, 6}, reference.computeExact(request), 1e-12);
    }

    @Test
    void causalMaskIsTopLeftAlignedWhenLengthsDiffer() {
        // 2 queries, 4 keys: query 0 sees key 0 only, query 1 sees keys 0 and 1 (not the last two).
        AttentionRequest request = AttentionRequest.of(hnd(1, 2, 1, 0, 0), hnd(1, 4, 1, 0, 0, 0, 0),
                hnd(1, 4, 1, 2, 4, 100, 100), true);
        assertArrayEquals(new double[] {2, 3}, reference.computeExact(request), 1e-12);
        // 3 queries, 1 key: every query sees key 0.
        AttentionRequest tall = AttentionRequest.of(hnd(1, 3, 1, 1, 2, 3), hnd(1, 1, 1, 5), hnd(1, 1, 1, 7), true);
        assertArrayEquals(new double[] {7, 7, 7}, reference.computeExact(tall), 1e-12);
    }

    @Test
    void groupedQueryHeadsShareTheirKvHead() {
        AttentionInputs grouped = AttentionInputs.generate(InputDistribution.NORMAL, 2, 4, 2, 5, 7, 8, DType.FP32,
                Layout.HND, 3);
        // Expand K and V to one head per query head and compare.
        float[] k = new float[2 * 4 * 7 * 8];
        float[] v = new float[k.length];
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 4; h++) {
                for (int n = 0; n < 7; n++) {
                    for (int d = 0; d < 8; d++) {
                        int to = ((b * 4 + h) * 7 + n) * 8 + d;
                        k[to] = grouped.k().get(b, h / 2, n, d);
                        v[to] = grouped.v().get(b, h / 2, n, d);
                    }
                }
            }
        }
        AttentionRequest expanded = AttentionRequest.of(grouped.q(),
                HostTensor.of(DType.FP32, Layout.HND, 2, 4, 7, 8, k), HostTensor.of(DType.FP32, Layout.HND, 2, 4, 7, 8, v),
                false);
        assertArrayEquals(reference.computeExact(expanded), reference.computeExact(grouped.request(false)), 0.0);
    }

    @Test
    void resultIsInQsLayoutAndIndependentOfTheInputLayout() {
        AttentionInputs hnd = AttentionInputs.generate(InputDistribution.NORMAL, 2, 3, 3, 9, 9, 8, DType.FP16,
                Layout.HND, 11);
        AttentionInputs nhd = new AttentionInputs(hnd.q().toLayout(Layout.NHD), hnd.k().toLayout(Layout.NHD),
                hnd.v().toLayout(Layout.NHD));
        HostTensor fromHnd = reference.compute(hnd.request(true));
        HostTensor fromNhd = reference.compute(nhd.request(true));
        assertEquals(Layout.NHD, fromNhd.layout());
        assertEquals(DType.FP16, fromNhd.dtype());
        assertArrayEquals(fromHnd.toArray(), fromNhd.toLayout(Layout.HND).toArray());
        double[] exact = reference.computeExact(nhd.request(true));
        float[] rounded = fromNhd.toArray();
        for (int i = 0; i < exact.length; i++) {
            assertEquals(DType.FP16.round((float) exact[i]), rounded[i]);
        }
    }

    @Test
    void supportsEveryHeadDim() {
        assertTrue(reference.unsupportedReason(AttentionInputs.generate(InputDistribution.NORMAL, 1, 1, 1, 3, 3, 80,
                DType.FP32, Layout.HND, 1).request(false).shape()).isEmpty());
    }
}
