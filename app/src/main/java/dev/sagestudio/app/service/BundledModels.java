package dev.sagestudio.app.service;

import java.nio.file.Path;
import java.util.List;

/** The bundled models by name, for screens that offer a model picker; found as the command line finds them. */
public final class BundledModels {

    /** The models shipped in {@code models/bundled/}, image model first. */
    public static final List<String> NAMES = List.of(BundleLocator.DEFAULT_IMAGE_MODEL, "sage-emoji-t2v");

    private BundledModels() {
    }

    /** The folder of a bundled model's name, or of an existing bundle folder; a message saying where it looked. */
    public static Path resolve(String nameOrFolder) {
        return BundleLocator.resolve(nameOrFolder);
    }
}
