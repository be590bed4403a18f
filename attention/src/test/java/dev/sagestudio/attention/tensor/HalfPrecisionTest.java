package dev.sagestudio.attention.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

    @Test
    void everyHalfBitPatternRoundTripsThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float value = Fp16.toFloat((short) bits);
            if (Float.isNaN(value)) {
                assertTrue(Float.isNaN(Fp16.round(value)));
                continue;
            }
            assertEquals(bits, Fp16.fromFloat(value) & 0xffff, "half bits 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void halfRoundsToNearestWithTiesToEven() {
        // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties go to the even mantissa, 1.
        assertEquals(1.0f, Fp16.round(1.0f + 0x1p-11f));
        // 1 + 3·2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even): goes up.
        assertEquals(1.0f + 0x1p-9f, Fp16.round(1.0f + 3 * 0x1p-11f));
        assertEquals(1.0f + 0x1p-10f, Fp16.round(1.0f + 0x1p-11f + 0x1p-20f));
        assertEquals(65504f, Fp16.round(65519f));
        assertEquals(Float.POSITIVE_INFINITY, Fp16.round(65520f));
        assertEquals(Float.NEGATIVE_INFINITY, Fp16.round(-1e6f));
        assertEquals(0x1p-24f, Fp16.round(0x1.8p-25f)); // rounds up to the smallest subnormal
        assertEquals(0f, Fp16.round(0x1p-25f)); // tie between 0 and 2^-24 goes to even (zero)
        assertEquals(-0f, Fp16.round(-1e-10f));
    }

    @Test
    void halfRoundingIsNearestOnRandomFloats() {
        SplittableRandom random = new SplittableRandom();
        for (int i = 0; i < 200_000; i++) {
            float x = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-26, 17)));
            float rounded = Fp16.round(x);
            if (Float.isInfinite(rounded)) {
                assertTrue(Math.abs(x) >= 65520f, "only values at or past 65520 overflow, x=" + x);
                continue;
            }
            short bits = Fp16.fromFloat(x);
            float up = Fp16.toFloat((short) (bits + 1));
            float down = Fp16.toFloat((short) (bits - 1));
            double error = Math.abs((double) rounded - x);
            if (!Float.isInfinite(up)) {
                assertTrue(error <= Math.abs((double) up - x), "x=" + x);
            }
            if ((bits & 0x7fff) != 0) {
                assertTrue(error <= Math.abs((double) down - x), "x=" + x);
            }
        }
    }

    @Test
    void bfloat16RoundsToNearestWithTiesToEven() {
        assertEquals(1.0f, Bf16.round(1.0f + 0x1p-8f));
        assertEquals(1.0f + 0x1p-6f, Bf16.round(1.0f + 3 * 0x1p-8f));
        assertEquals(1.0f + 0x1p-7f, Bf16.round(1.0f + 0x1p-8f + 0x1p-20f));
        assertTrue(Float.isNaN(Bf16.round(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.MAX_VALUE));
        assertEquals(3.3895314e38f, Bf16.round(3.3895314e38f));
    }

    @Test
    void tensorsStoreValuesRoundedToTheirDtypeAndConvertLayouts() {
        float[] values = new float[2 * 3 * 4 * 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1.0f + i * 0x1p-12f;
        }
        HostTensor hnd = HostTensor.of(DType.FP16, Layout.HND, 2, 3, 4, 8, values);
        assertEquals(Fp16.round(values[5]), hnd.get(0, 0, 0, 5));
        HostTensor nhd = hnd.toLayout(Layout.NHD);
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 3; h++) {
                for (int n = 0; n < 4; n++) {
                    for (int d = 0; d < 8; d++) {
                        assertEquals(hnd.get(b, h, n, d), nhd.get(b, h, n, d));
                    }
                }
            }
        }
        assertEquals(hnd.get(1, 2, 3, 7), nhd.toArray()[nhd.toArray().length - 1]);
    }
}
