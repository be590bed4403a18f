package dev.sagestudio.app.compare;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * An image as packed 0xAARRGGBB pixels, row by row: what both the JavaFX view (a {@code PixelWriter}) and the
 * report (PNG) can take without either depending on the other's toolkit.
 */
public record ArgbImage(int width, int height, int[] pixels) {

    public ArgbImage {
        if (width < 1 || height < 1 || pixels.length != width * height) {
            throw new IllegalArgumentException("need " + width + "×" + height + " pixels, got " + pixels.length);
        }
    }

    public int argb(int x, int y) {
        return pixels[y * width + x];
    }

    public static ArgbImage of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        return new ArgbImage(w, h, image.getRGB(0, 0, w, h, null, 0, w));
    }

    public BufferedImage toBufferedImage() {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        out.setRGB(0, 0, width, height, pixels, 0, width);
        return out;
    }

    /** The image as PNG bytes. */
    public byte[] png() {
        return png(toBufferedImage());
    }

    /** {@code image} as PNG bytes. */
    public static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a PNG in memory", e);
        }
        return out.toByteArray();
    }
}
