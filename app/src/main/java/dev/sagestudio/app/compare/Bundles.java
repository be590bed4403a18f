package dev.sagestudio.app.compare;

import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.bundle.ModelBundle;
import java.io.IOException;
import java.nio.file.Path;

/** Loads a model bundle for the view jobs, whose callers handle one kind of failure (an I/O one, with its message). */
public final class Bundles {

    private Bundles() {
    }

    public static ModelBundle load(Path folder) throws IOException {
        try {
            return ModelBundle.load(folder);
        } catch (BundleException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
