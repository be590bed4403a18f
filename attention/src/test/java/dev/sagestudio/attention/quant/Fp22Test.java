package dev.sagestudio.attention.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Fp22Test {

    @Test
    void keepsThirteenMantissaBits() {
        assertEquals(1f + 0x1p-13f, Fp22.truncate(1f + 0x1p-13f));
        assertEquals(1f, Fp22.truncate(1f + 0x1p-14f));
        assertEquals(1f, Fp22.truncate(1f + 0x1p-13f - 0x1p-23f));
    }

    @Test
    void truncatesTowardZeroForBothSigns() {
        float x = 3f + 0x1.fp-14f;
        assertEquals(3f, Fp22.truncate(x));
        assertEquals(-3f, Fp22.truncate(-x));
    }

    @Test
    void doubleAndFloatVersionsAgreeAndRelativeErrorIsBelow2ToMinus13() {
        SplittableRandom random = new SplittableRandom();
        for (int i = 0; i < 100_000; i++) {
            float x = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-20, 20)));
            float t = Fp22.truncate(x);
            assertEquals(t, Fp22.truncate((double) x));
            assertTrue(Math.abs(t) <= Math.abs(x));
            assertTrue(Math.abs(x - t) < Math.abs(x) * 0x1p-13, "x=" + x);
        }
    }

    @Test
    void doubleInputIsNotRoundedToFloatFirst() {
        // 1 + 2^-13 - 2^-40 rounds to 1 + 2^-13 in float, but truncation of the double gives 1.
        assertEquals(1f, Fp22.truncate(1.0 + 0x1p-13 - 0x1p-40));
    }
}
