package dev.sagestudio.attention.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccuracyMetricsTest {

    @Test
    void identicalOutputsArePerfect() {
        AccuracyMetrics m = AccuracyMetrics.compare(new double[] {1, -2, 3}, new float[] {1, -2, 3});
        assertEquals(new AccuracyMetrics(1, 0, 0, 0), m);
    }

    @Test
    void matchesTheDefinitionsOnASmallExample() {
        double[] reference = {3, 4};
        double[] actual = {4, 3};
        AccuracyMetrics m = AccuracyMetrics.compare(reference, actual);
        assertEquals(24.0 / 25, m.cosineSimilarity(), 1e-15);
        assertEquals(2.0 / 7, m.relativeL1(), 1e-15);
        assertEquals(1.0, m.rmse(), 1e-15);
        assertEquals(1.0, m.maxAbsError(), 0);
    }

    @Test
    void cosineIgnoresScaleButRelativeL1DoesNot() {
        AccuracyMetrics m = AccuracyMetrics.compare(new double[] {1, 2, 3}, new double[] {2, 4, 6});
        assertEquals(1.0, m.cosineSimilarity(), 1e-15);
        assertEquals(1.0, m.relativeL1(), 1e-15);
    }

    @Test
    void aNanAnywhereFailsEveryMetric() {
        AccuracyMetrics m = AccuracyMetrics.compare(new double[] {1, 2}, new float[] {1, Float.NaN});
        assertTrue(Double.isNaN(m.cosineSimilarity()) && Double.isNaN(m.relativeL1())
                && Double.isNaN(m.rmse()) && Double.isNaN(m.maxAbsError()));
    }

    @Test
    void zeroOutputsHaveDefinedValues() {
        assertEquals(new AccuracyMetrics(1, 0, 0, 0), AccuracyMetrics.compare(new double[2], new double[2]));
        AccuracyMetrics m = AccuracyMetrics.compare(new double[2], new double[] {1, 0});
        assertEquals(0, m.cosineSimilarity());
        assertEquals(Double.POSITIVE_INFINITY, m.relativeL1());
    }

    @Test
    void mismatchedLengthsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> AccuracyMetrics.compare(new double[2], new double[3]));
    }
}
