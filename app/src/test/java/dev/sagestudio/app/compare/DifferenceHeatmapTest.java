package dev.sagestudio.app.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The amplified difference image and its colour scale. */
class DifferenceHeatmapTest {

    @Test
    void agreeingPixelsAreBlackAndTheDifferingOnesFollowTheGain() {
        var r = FixedResults.image();
        DifferenceHeatmap map = DifferenceHeatmap.of(r.a(), r.b());
        assertEquals(0.05, map.difference(0, 1, 1), 1e-6);
        assertEquals(0.0, map.difference(0, 5, 5));
        ArgbImage x10 = map.render(0, 10);
        assertEquals(ColourScale.argb(0), x10.argb(5, 5));
        assertEquals(ColourScale.argb(map.difference(0, 0, 0) * 10), x10.argb(0, 0));
        assertEquals(ColourScale.argb(0.5) & 0xfefefe, x10.argb(0, 0) & 0xfefefe, "0.05 × 10: half way up the scale");
        assertEquals(ColourScale.argb(1), map.render(0, 20).argb(1, 0), "0.05 × 20 reaches the top");
        assertEquals(ColourScale.argb(1), map.render(0, 1000).argb(1, 0), "saturates, never wraps");
    }

    @Test
    void theSuggestedGainBringsTheLargestDifferenceNearTheTopWithARoundNumber() {
        var r = FixedResults.video(4);
        DifferenceHeatmap map = DifferenceHeatmap.of(r.a(), r.b());
        assertEquals(0.2, map.maxDifference(), 1e-6);
        assertEquals(5, map.suggestedGain(), "1 / 0.2");
        assertEquals(1, DifferenceHeatmap.of(r.a(), r.a()).suggestedGain(), "identical outputs");
        assertNotEquals(map.render(0, 5).argb(0, 0), map.render(3, 5).argb(0, 0), "each frame its own difference");
    }

    @Test
    void theScaleDarkensToBlackAndLightensToPaleYellowAndTicksStandForDifferences() {
        assertEquals(0xff000004, ColourScale.argb(0));
        assertEquals(0xfffcfdbf, ColourScale.argb(1));
        assertEquals(ColourScale.argb(1), ColourScale.argb(Double.NaN));
        assertEquals(List.of(new ColourScale.Tick(0, 0), new ColourScale.Tick(0.5, 0.05), new ColourScale.Tick(1, 0.1)),
                ColourScale.ticks(0.1, 3));
        double previous = -1;
        for (int i = 0; i <= 20; i++) {
            int c = ColourScale.argb(i / 20.0);
            double luma = 0.299 * (c >> 16 & 0xff) + 0.587 * (c >> 8 & 0xff) + 0.114 * (c & 0xff);
            assertEquals(true, luma > previous, "lightness rises at " + i);
            previous = luma;
        }
    }

    @Test
    void badArgumentsAreRefused() {
        var r = FixedResults.image();
        DifferenceHeatmap map = DifferenceHeatmap.of(r.a(), r.b());
        assertThrows(IllegalArgumentException.class, () -> map.render(1, 2));
        assertThrows(IllegalArgumentException.class, () -> map.render(0, 0.5));
        assertThrows(IllegalArgumentException.class,
                () -> new DifferenceHeatmap(new float[12], new float[12], 1, 2, 2, 1, 1));
    }
}
