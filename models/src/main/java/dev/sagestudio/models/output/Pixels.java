package dev.sagestudio.models.output;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts generated tensors to 8-bit sRGB images: x in [lo, hi] maps to round(clamp((x − lo)/(hi − lo), 0, 1)·255)
 * (docs/model-bundle.md, "output").
 */
public final class Pixels {

    private Pixels() {
    }

    /** One image from a [3, H, W] tensor (channel-major, RGB). */
    public static BufferedImage image(float[] chw, int height, int width, double lo, double hi) {
        return frame(chw, 1, 0, height, width, lo, hi);
    }

    /** The frames of a [3, F, H, W] video tensor. */
    public static List<BufferedImage> frames(float[] cfhw, int frames, int height, int width, double lo, double hi) {
        List<BufferedImage> out = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) {
            out.add(frame(cfhw, frames, f, height, width, lo, hi));
        }
        return out;
    }

    private static BufferedImage frame(float[] t, int frames, int f, int height, int width, double lo, double hi) {
        if (height < 1 || width < 1 || frames < 1 || !(hi > lo)) {
            throw new IllegalArgumentException("need positive sizes and lo < hi, got " + height + "x" + width
                    + " frames " + frames + " range [" + lo + ", " + hi + "]");
        }
        long plane = (long) height * width;
        if (t.length != 3 * frames * plane) {
            throw new IllegalArgumentException("tensor has " + t.length + " values, expected 3 x " + frames + " x "
                    + height + " x " + width + " = " + 3 * frames * plane);
        }
        var image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    long index = ((long) c * frames + f) * plane + (long) y * width + x;
                    rgb = (rgb << 8) | toByte(t[(int) index], lo, hi);
                }
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    static int toByte(float value, double lo, double hi) {
        double u = (value - lo) / (hi - lo);
        if (!(u > 0)) {
            return 0; // also NaN
        }
        return (int) Math.round(Math.min(u, 1) * 255);
    }
}
