package dev.sagestudio.models.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Same seed, same noise, everywhere: values checked against an independent Python computation (resources/noise). */
class SeededNoiseTest {

    @Test
    void rawBitsAreSplitMix64() {
        assertRaw(0, -2152535657050944081L, 7960286522194355700L, 487617019471545679L);
        assertRaw(42, -4767286540954276203L, 2949826092126892291L, 5139283748462763858L);
        assertRaw(-1, -1956407806741107680L, -1612297016619662647L, 4048727598324417001L);
    }

    private static void assertRaw(long seed, long... expected) {
        var noise = new SeededNoise(seed);
        for (long e : expected) {
            assertEquals(e, noise.nextLong(), "seed " + seed);
        }
    }

    @Test
    void normalsAreBoxMullerOnThoseBits() {
        assertArrayEquals(new float[] {-0.45275774598121643f, 0.20776604115962982f, 2.6506059169769287f,
                -0.4904228150844574f, -0.9886041283607483f, 1.8721014261245728f}, new SeededNoise(0).next(6));
        assertArrayEquals(new float[] {0.41471976041793823f, 0.6526812314987183f, -0.8918862342834473f,
                1.3268336057662964f, 1.72959303855896f, -1.883416771888733f}, new SeededNoise(42).next(6));
        assertArrayEquals(new float[] {0.4038981795310974f, -0.24716992676258087f, -1.5578114986419678f,
                0.7785844802856445f, 0.37761974334716797f, -0.7449161410331726f}, new SeededNoise(-1).next(6));
    }

    @Test
    void theStreamDoesNotDependOnHowItIsChunked() {
        float[] whole = new SeededNoise(7).next(101);
        var chunked = new SeededNoise(7);
        float[] a = chunked.next(33);
        float[] b = chunked.next(68);
        float[] joined = Arrays.copyOf(a, 101);
        System.arraycopy(b, 0, joined, 33, 68);
        assertArrayEquals(whole, joined);
    }

    @Test
    void differentSeedsGiveDifferentNoise() {
        assertFalse(Arrays.equals(new SeededNoise(1).next(16), new SeededNoise(2).next(16)));
    }

    @Test
    void theValuesAreStandardNormal() {
        float[] x = new SeededNoise(123).next(200_000);
        double mean = 0;
        double sq = 0;
        int beyond3 = 0;
        for (float v : x) {
            mean += v;
            sq += v * v;
            beyond3 += Math.abs(v) > 3 ? 1 : 0;
        }
        mean /= x.length;
        double var = sq / x.length - mean * mean;
        // 200k samples: standard error of the mean 0.0022, of the variance 0.0032.
        assertEquals(0, mean, 0.01);
        assertEquals(1, var, 0.015);
        assertEquals(0.0027 * x.length, beyond3, 0.0027 * x.length * 0.15);
    }
}
