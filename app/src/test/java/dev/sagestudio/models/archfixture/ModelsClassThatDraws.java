package dev.sagestudio.models.archfixture;

import java.awt.image.BufferedImage;

/** Test fixture, deliberately wrong: a models class outside models.output that makes pictures. */
public final class ModelsClassThatDraws {
    private ModelsClassThatDraws() {}

    public static BufferedImage picture() {
        return new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    }
}
