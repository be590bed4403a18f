package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Numeric options are range-checked like the bundle's defaults before anything runs. */
class GenerationRequestTest {

    @Test
    void guidanceOutsideOneToAHundredIsRefused() {
        for (double g : new double[] {1e39, 1e9, 100.5, 0.5, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> GenerationRequest.of("a cat", 1).withGuidance(g));
            assertTrue(e.getMessage().startsWith("guidance scale must be between 1 and 100"), e.getMessage());
        }
        assertEquals(100.0, GenerationRequest.of("a cat", 1).withGuidance(100.0).guidanceScale());
        assertEquals(1.0, GenerationRequest.of("a cat", 1).withGuidance(1.0).guidanceScale());
    }

    @Test
    void stepsOutsideOneToAThousandAreRefused() {
        for (int steps : new int[] {0, -1, 1001, Integer.MAX_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of("a cat", 1).withSteps(steps));
        }
    }
}
