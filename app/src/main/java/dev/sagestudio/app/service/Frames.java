package dev.sagestudio.app.service;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Pixels to show: one frame for an image, several for a clip, each as packed ARGB ints row by row. A plain data
 * type so that the ViewModels carry pictures without scene-graph types; the views turn them into images.
 *
 * @param fps frames per second of a clip; 0 for a still image
 */
public record Frames(int width, int height, int fps, List<int[]> argb) {

    public Frames {
        argb = List.copyOf(argb);
        if (argb.isEmpty()) {
            throw new IllegalArgumentException("no frames");
        }
        for (int[] frame : argb) {
            if (frame.length != width * height) {
                throw new IllegalArgumentException("a frame has " + frame.length + " pixels, expected " + width + "×"
                        + height);
            }
        }
    }

    public int count() {
        return argb.size();
    }

    public boolean isClip() {
        return argb.size() > 1;
    }

    public static Frames of(List<BufferedImage> images, int fps) {
        List<int[]> pixels = new ArrayList<>();
        int w = images.get(0).getWidth();
        int h = images.get(0).getHeight();
        for (BufferedImage image : images) {
            pixels.add(image.getRGB(0, 0, w, h, null, 0, w));
        }
        return new Frames(w, h, images.size() > 1 ? fps : 0, pixels);
    }

    /** The frames as RGB images (for writing files). */
    public List<BufferedImage> images() {
        List<BufferedImage> out = new ArrayList<>();
        for (int[] frame : argb) {
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            image.setRGB(0, 0, width, height, frame, 0, width);
            out.add(image);
        }
        return out;
    }
}
