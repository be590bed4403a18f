package dev.sagestudio.app.compare;

import dev.sagestudio.models.pipeline.GenerationResult;

/**
 * Where two outputs differ, amplified: for each pixel the largest absolute difference over R, G and B, in the
 * [0, 1] units the metrics use (both outputs mapped from their value range and clamped, as pixels are made, but not
 * rounded to 8 bits), multiplied by the gain and coloured with {@link ColourScale} — black where they agree, pale
 * yellow where the amplified difference reaches 1 (the scale's top stands for a difference of 1 / gain).
 */
public final class DifferenceHeatmap {

    private final float[] a;
    private final float[] b;
    private final int frames;
    private final int height;
    private final int width;
    private final double low;
    private final double high;

    /** @param a,b outputs laid out [3, F, H, W] in the value range [low, high] */
    public DifferenceHeatmap(float[] a, float[] b, int frames, int height, int width, double low, double high) {
        if (a.length != b.length || a.length != 3 * frames * height * width) {
            throw new IllegalArgumentException("outputs must both be [3, " + frames + ", " + height + ", " + width
                    + "], got " + a.length + " and " + b.length + " values");
        }
        if (!(high > low)) {
            throw new IllegalArgumentException("value range must have low < high, got [" + low + ", " + high + "]");
        }
        this.a = a;
        this.b = b;
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.low = low;
        this.high = high;
    }

    /** The heatmap of B's output against A's. */
    public static DifferenceHeatmap of(GenerationResult a, GenerationResult b) {
        return new DifferenceHeatmap(a.output(), b.output(), a.frames(), a.height(), a.width(), a.valueLow(),
                a.valueHigh());
    }

    public int frames() {
        return frames;
    }

    /** The difference at pixel (x, y) of {@code frame}, before the gain: max over channels of |A − B| in [0, 1]. */
    public double difference(int frame, int x, int y) {
        int plane = height * width;
        double max = 0;
        for (int c = 0; c < 3; c++) {
            int i = (c * frames + frame) * plane + y * width + x;
            double d = Math.abs(unit(a[i]) - unit(b[i]));
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    /** The largest difference over every frame (0 when the outputs are identical, NaN if either has a NaN). */
    public double maxDifference() {
        double max = 0;
        for (int f = 0; f < frames; f++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    double d = difference(f, x, y);
                    if (Double.isNaN(d)) {
                        return Double.NaN;
                    }
                    max = Math.max(max, d);
                }
            }
        }
        return max;
    }

    /**
     * A gain that brings the largest difference to the top of the scale, rounded down to 1, 2 or 5 × a power of ten
     * so the legend reads easily; between 1 and {@value #MAX_GAIN} (1 for identical outputs).
     */
    public double suggestedGain() {
        double max = maxDifference();
        if (!(max > 0)) {
            return 1;
        }
        double raw = Math.min(MAX_GAIN, 1 / max);
        // A millionth of slack so that float outputs (0.2 stored as 0.20000000298) still give the round 5, not 2.
        double slack = raw * (1 + 1e-6);
        double decade = Math.pow(10, Math.floor(Math.log10(slack)));
        double nice = slack / decade >= 5 ? 5 : slack / decade >= 2 ? 2 : 1;
        return Math.max(1, nice * decade);
    }

    /** The largest gain offered; beyond it float rounding noise would fill the picture. */
    public static final double MAX_GAIN = 10_000;

    /** The heatmap of {@code frame} with {@code gain} (≥ 1). */
    public ArgbImage render(int frame, double gain) {
        if (frame < 0 || frame >= frames) {
            throw new IllegalArgumentException("frame " + frame + " is outside 0.." + (frames - 1));
        }
        if (!(gain >= 1) || Double.isInfinite(gain)) {
            throw new IllegalArgumentException("gain must be a finite number >= 1, got " + gain);
        }
        int[] pixels = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                pixels[y * width + x] = ColourScale.argb(difference(frame, x, y) * gain);
            }
        }
        return new ArgbImage(width, height, pixels);
    }

    private double unit(float v) {
        double u = (v - low) / (high - low);
        return Double.isNaN(u) ? Double.NaN : Math.min(1, Math.max(0, u));
    }
}
