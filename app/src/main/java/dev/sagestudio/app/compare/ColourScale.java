package dev.sagestudio.app.compare;

import java.util.ArrayList;
import java.util.List;

/**
 * The difference heatmap's colours: black for no difference through purple, red and orange to pale yellow for the
 * largest shown, increasing in lightness so that it reads in grey too. Positions run from 0 to 1.
 */
public final class ColourScale {

    /** Colour stops at equal spacing from 0 to 1, as 0xRRGGBB. */
    private static final int[] STOPS = {0x000004, 0x3b0f70, 0x8c2981, 0xde4968, 0xfe9f6d, 0xfcfdbf};

    private ColourScale() {
    }

    /** The colour at {@code t} (clamped to [0, 1]; NaN shows as the top colour, since it is a broken value). */
    public static int argb(double t) {
        double u = Double.isNaN(t) ? 1 : Math.min(1, Math.max(0, t));
        double x = u * (STOPS.length - 1);
        int i = Math.min(STOPS.length - 2, (int) Math.floor(x));
        double f = x - i;
        int lo = STOPS[i];
        int hi = STOPS[i + 1];
        int r = mix(lo >> 16, hi >> 16, f);
        int g = mix(lo >> 8, hi >> 8, f);
        int b = mix(lo, hi, f);
        return 0xff000000 | r << 16 | g << 8 | b;
    }

    /** {@link #argb} as a CSS colour, {@code #rrggbb}. */
    public static String css(double t) {
        return String.format("#%06x", argb(t) & 0xffffff);
    }

    private static int mix(int lo, int hi, double f) {
        int a = lo & 0xff;
        int b = hi & 0xff;
        return (int) Math.round(a + (b - a) * f);
    }

    /**
     * A tick of the legend.
     *
     * @param position where on the scale (0..1)
     * @param value the difference that position stands for
     */
    public record Tick(double position, double value) {
    }

    /** {@code count} evenly spaced legend ticks for a scale whose top stands for {@code top}. */
    public static List<Tick> ticks(double top, int count) {
        List<Tick> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            double p = count == 1 ? 1 : i / (double) (count - 1);
            out.add(new Tick(p, p * top));
        }
        return out;
    }
}
