package dev.sagestudio.attention.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Fp8E4M3Test {

    /** The 127 non-negative finite values in increasing order (bit patterns 0x00..0x7e). */
    private static float[] positiveValues() {
        float[] values = new float[0x7f];
        for (int bits = 0; bits < 0x7f; bits++) {
            values[bits] = Fp8E4M3.toFloat((byte) bits);
        }
        return values;
    }

    @Test
    void everyFinitePatternDecodesAndEncodesBackToItself() {
        int nanCount = 0;
        for (int bits = 0; bits < 256; bits++) {
            float value = Fp8E4M3.toFloat((byte) bits);
            if (Float.isNaN(value)) {
                nanCount++;
                assertTrue(bits == 0x7f || bits == 0xff, "only S.1111.111 is NaN, got 0x" + Integer.toHexString(bits));
                continue;
            }
            assertTrue(Float.isFinite(value), "no infinities in E4M3fn");
            int expected = bits == 0x80 ? 0x80 : bits; // -0 stays -0
            assertEquals(expected, Fp8E4M3.fromFloat(value) & 0xff, "pattern 0x" + Integer.toHexString(bits));
        }
        assertEquals(2, nanCount);
    }

    @Test
    void knownValues() {
        assertEquals(448f, Fp8E4M3.toFloat((byte) 0x7e));
        assertEquals(-448f, Fp8E4M3.toFloat((byte) 0xfe));
        assertEquals(0x1p-9f, Fp8E4M3.toFloat((byte) 0x01));
        assertEquals(0x1p-6f, Fp8E4M3.toFloat((byte) 0x08));
        assertEquals(1f, Fp8E4M3.toFloat((byte) 0x38));
        assertEquals(1.125f, Fp8E4M3.toFloat((byte) 0x39));
        assertEquals(0.875f * 0x1p-6f, Fp8E4M3.toFloat((byte) 0x07)); // largest subnormal
    }

    @Test
    void valuesIncreaseStrictlyWithTheirPatterns() {
        float[] values = positiveValues();
        for (int i = 1; i < values.length; i++) {
            assertTrue(values[i] > values[i - 1], "pattern " + i);
        }
    }

    @Test
    void midpointsRoundToTheEvenPatternAndNeighboursToTheNearer() {
        float[] values = positiveValues();
        for (int i = 0; i + 1 < values.length; i++) {
            float mid = (values[i] + values[i + 1]) / 2; // exact: E4M3 values have few bits
            int even = (i % 2 == 0) ? i : i + 1;
            assertEquals(even, Fp8E4M3.fromFloat(mid), "midpoint of patterns " + i + " and " + (i + 1));
            assertEquals(i, Fp8E4M3.fromFloat(Math.nextDown(mid)));
            assertEquals(i + 1, Fp8E4M3.fromFloat(Math.nextUp(mid)));
            assertEquals(-values[even], Fp8E4M3.round(-mid), "sign is symmetric");
        }
    }

    @Test
    void saturatesInsteadOfOverflowing() {
        assertEquals(448f, Fp8E4M3.round(463.99f));
        assertEquals(448f, Fp8E4M3.round(464f)); // tie between 448 and (non-existent) 480 saturates
        assertEquals(448f, Fp8E4M3.round(1e6f));
        assertEquals(448f, Fp8E4M3.round(Float.POSITIVE_INFINITY));
        assertEquals(-448f, Fp8E4M3.round(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Fp8E4M3.round(Float.NaN)));
    }

    @Test
    void tinyValuesRoundToZeroOrTheSmallestSubnormal() {
        assertEquals(0f, Fp8E4M3.round(0x1p-10f)); // tie between 0 and 2^-9 → even (0)
        assertEquals(0x1p-9f, Fp8E4M3.round(0x1.8p-10f));
        assertEquals(0f, Fp8E4M3.round(1e-30f));
    }

    @Test
    void randomFloatsRoundToTheNearestValue() {
        float[] values = positiveValues();
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) (random.nextDouble() * Math.pow(2, random.nextInt(-12, 10)));
            float rounded = Fp8E4M3.round(x);
            double best = Double.MAX_VALUE;
            for (float v : values) {
                best = Math.min(best, Math.abs((double) v - x));
            }
            assertEquals(best, Math.abs((double) rounded - x), 0.0, "seed " + seed + " x=" + x);
        }
    }
}
