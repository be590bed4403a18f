package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ArgbImage;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;

/** {@link ArgbImage}s as JavaFX images. */
final class FxImages {

    private FxImages() {
    }

    static WritableImage of(ArgbImage image) {
        if (image == null) {
            return null;
        }
        WritableImage out = new WritableImage(image.width(), image.height());
        out.getPixelWriter().setPixels(0, 0, image.width(), image.height(), PixelFormat.getIntArgbInstance(),
                image.pixels(), 0, image.width());
        return out;
    }
}
