package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the CLI looks for models: a folder given, a bundled name, the installation's default. */
class BundleLocatorTest {

    @TempDir
    Path home;

    @Test
    void theInstallationFolderFromTheLauncherIsSearchedFirst() throws Exception {
        Path bundled = Files.createDirectories(home.resolve("models/bundled").resolve(BundleLocator.DEFAULT_IMAGE_MODEL));
        Path video = Files.createDirectories(home.resolve("models/bundled/sage-emoji-t2v"));
        String before = System.getProperty("sagestudio.home");
        System.setProperty("sagestudio.home", home.toString());
        try {
            assertEquals(bundled, BundleLocator.resolve(null));
            assertEquals(video, BundleLocator.resolve("sage-emoji-t2v"));
            assertEquals(home.resolve("models"), BundleLocator.resolve(home.resolve("models").toString()));
            var e = assertThrows(IllegalArgumentException.class, () -> BundleLocator.resolve("sage-emoji-t3d"));
            assertTrue(e.getMessage().contains(home.resolve("models/bundled").toString()), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("sagestudio.home");
            } else {
                System.setProperty("sagestudio.home", before);
            }
        }
    }
}
