package dev.sagestudio.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AttentionInputsTest {

    private static AttentionInputs draw(InputDistribution d, long seed) {
        return AttentionInputs.generate(d, 1, 2, 2, 512, 512, 64, DType.FP32, Layout.HND, seed);
    }

    @Test
    void theSameSeedGivesTheSameTensors() {
        for (InputDistribution d : InputDistribution.values()) {
            assertArrayEquals(draw(d, 9).k().toArray(), draw(d, 9).k().toArray());
            assertFalse(Arrays.equals(draw(d, 9).k().toArray(), draw(d, 10).k().toArray()));
        }
    }

    @Test
    void biasedKeysHaveChannelMeansFarLargerThanTheirSpread() {
        float[] k = draw(InputDistribution.BIASED_K, 1).k().toArray();
        double largestMean = 0;
        for (int d = 0; d < 64; d++) {
            double sum = 0;
            for (int n = 0; n < 512; n++) {
                sum += k[n * 64 + d];
            }
            largestMean = Math.max(largestMean, Math.abs(sum / 512));
        }
        assertTrue(largestMean > 20, "largest channel mean " + largestMean);
    }

    @Test
    void outliersAreHeavyTailed() {
        // Kurtosis of a normal is 3; Student's t with 3 degrees of freedom has infinite kurtosis.
        assertTrue(kurtosis(draw(InputDistribution.NORMAL, 2).q().toArray()) < 3.5);
        assertTrue(kurtosis(draw(InputDistribution.OUTLIERS, 2).q().toArray()) > 6);
    }

    private static double kurtosis(float[] x) {
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= x.length;
        double m2 = 0;
        double m4 = 0;
        for (float v : x) {
            double c = v - mean;
            m2 += c * c;
            m4 += c * c * c * c;
        }
        m2 /= x.length;
        m4 /= x.length;
        return m4 / (m2 * m2);
    }
}
