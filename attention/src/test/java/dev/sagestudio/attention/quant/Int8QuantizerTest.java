package dev.sagestudio.attention.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Int8QuantizerTest {

    @Test
    void roundsHalfAwayFromZero() {
        assertEquals(3, Int8Quantizer.roundHalfAwayFromZero(2.5f));
        assertEquals(-3, Int8Quantizer.roundHalfAwayFromZero(-2.5f));
        assertEquals(1, Int8Quantizer.roundHalfAwayFromZero(0.5f));
        assertEquals(-1, Int8Quantizer.roundHalfAwayFromZero(-0.5f));
        assertEquals(1, Int8Quantizer.roundHalfAwayFromZero(1.4999999f));
        assertEquals(0, Int8Quantizer.roundHalfAwayFromZero(0.49999997f)); // largest float below 0.5
        assertEquals(127, Int8Quantizer.roundHalfAwayFromZero(126.5f));
    }

    @Test
    void quantizeClampsToPlusMinus127() {
        assertEquals(127, Int8Quantizer.quantize(1000f, 1f));
        assertEquals(-127, Int8Quantizer.quantize(-1000f, 1f));
    }

    @ParameterizedTest
    @EnumSource(Granularity.class)
    void dequantizedValuesAreWithinHalfAStepAndTheLargestMapsTo127(Granularity granularity) {
        SplittableRandom random = new SplittableRandom();
        long seed = random.nextLong();
        random = new SplittableRandom(seed);
        int rows = 300; // not a multiple of 32, 64 or 128: tails included
        int dim = 64;
        float[] x = new float[rows * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((random.nextDouble() * 2 - 1) * Math.pow(10, random.nextInt(-2, 3)));
        }
        for (QuantizedInt8 quantized : new QuantizedInt8[] {
            Int8Quantizer.quantizeQuery(x, 0, rows, dim, granularity),
            Int8Quantizer.quantizeKey(x, 0, rows, dim, granularity)}) {
            Set<Integer> groupsWithRows = new HashSet<>();
            Set<Integer> groupsReaching127 = new HashSet<>();
            for (int n = 0; n < rows; n++) {
                groupsWithRows.add(quantized.groupOfRow()[n]);
                float scale = quantized.scaleOfRow(n);
                for (int d = 0; d < dim; d++) {
                    float original = x[n * dim + d];
                    double error = Math.abs(original - (double) quantized.values()[n * dim + d] * scale);
                    // half a step, plus float rounding of x·(127/amax)
                    assertTrue(error <= scale * 0.5 * (1 + 1e-5) + 1e-7 * Math.abs(original),
                            "seed " + seed + " row " + n + " value " + original + " error " + error + " scale " + scale);
                    if (Math.abs(quantized.values()[n * dim + d]) == 127) {
                        groupsReaching127.add(quantized.groupOfRow()[n]);
                    }
                }
            }
            assertEquals(groupsWithRows, groupsReaching127,
                    "every group's largest magnitude maps to ±127, seed " + seed);
        }
    }

    @Test
    void perBlockGroupsAre128QueryRowsAnd64KeyRows() {
        Granularity g = Granularity.PER_BLOCK;
        assertEquals(0, g.queryGroup(127));
        assertEquals(1, g.queryGroup(128));
        assertEquals(0, g.keyGroup(63));
        assertEquals(1, g.keyGroup(64));
        assertEquals(3, g.queryGroups(257));
        assertEquals(5, g.keyGroups(257));
    }

    @Test
    void perWarpGroupsAre32QueryRowsAnd64KeyRows() {
        Granularity g = Granularity.PER_WARP;
        assertEquals(0, g.queryGroup(31));
        assertEquals(1, g.queryGroup(32));
        assertEquals(4, g.queryGroup(128));
        assertEquals(1, g.keyGroup(64));
        assertEquals(0, g.keyGroup(63));
        assertEquals(8, g.queryGroups(129)); // scales are allocated per whole 128-row block
        assertEquals(3, g.keyGroups(129));
    }

    @Test
    void perThreadGroupsFollowTheMmaFragmentRows() {
        Granularity g = Granularity.PER_THREAD;
        // Q: rows 8t + g of a 32-row warp share a scale: 0, 8, 16, 24 together; 1, 9, 17, 25 together.
        for (int row : new int[] {0, 8, 16, 24}) {
            assertEquals(0, g.queryGroup(row));
        }
        for (int row : new int[] {1, 9, 17, 25}) {
            assertEquals(1, g.queryGroup(row));
        }
        assertEquals(8, g.queryGroup(32));
        assertEquals(15, g.queryGroup(63));
        // K: rows 8t + 2g and 8t + 2g + 1 of a 64-row block share a scale.
        for (int row : new int[] {0, 1, 8, 9, 56, 57}) {
            assertEquals(0, g.keyGroup(row));
        }
        for (int row : new int[] {6, 7, 62, 63}) {
            assertEquals(3, g.keyGroup(row));
        }
        assertEquals(4, g.keyGroup(64));
        assertEquals(32, g.queryGroups(128));
        assertEquals(8, g.keyGroups(65));
        // Every group of a full block has the same number of rows: 4 (Q) and 16 (K).
        int[] qCount = new int[32];
        int[] kCount = new int[4];
        for (int n = 0; n < 128; n++) {
            qCount[g.queryGroup(n)]++;
        }
        for (int n = 0; n < 64; n++) {
            kCount[g.keyGroup(n)]++;
        }
        for (int c : qCount) {
            assertEquals(4, c);
        }
        for (int c : kCount) {
            assertEquals(16, c);
        }
    }

    @ParameterizedTest
    @EnumSource(Granularity.class)
    void anAllZeroGroupGetsAFiniteScaleAndZeroValues(Granularity granularity) {
        int rows = 130;
        int dim = 64;
        float[] x = new float[rows * dim]; // all zero
        QuantizedInt8 q = Int8Quantizer.quantizeQuery(x, 0, rows, dim, granularity);
        for (float scale : q.scales()) {
            assertTrue(Float.isFinite(scale) && scale > 0, "scale " + scale);
            assertEquals(Int8Quantizer.AMAX_FLOOR / 127f, scale);
        }
        for (byte v : q.values()) {
            assertEquals(0, v);
        }
    }

    @Test
    void granularityParsesItsLabels() {
        for (Granularity g : Granularity.values()) {
            assertEquals(g, Granularity.parse(g.label()));
        }
    }
}
