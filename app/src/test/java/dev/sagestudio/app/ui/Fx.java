package dev.sagestudio.app.ui;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.StackPane;
import javax.imageio.ImageIO;

/**
 * JavaFX for view tests without a display: Monocle's headless glass platform and the software renderer, started
 * once; work runs on the FX thread and its result (or failure) comes back to the test.
 */
final class Fx {

    private static boolean started;

    private Fx() {
    }

    static synchronized void start() {
        if (started) {
            return;
        }
        System.setProperty("glass.platform", "Monocle");
        System.setProperty("monocle.platform", "Headless");
        System.setProperty("prism.order", "sw");
        System.setProperty("prism.text", "t2k");
        System.setProperty("java.awt.headless", "true");
        try {
            Platform.startup(() -> { });
        } catch (IllegalStateException alreadyRunning) {
            // another test class started the toolkit in this JVM
        }
        Platform.setImplicitExit(false);
        started = true;
    }

    static <T> T call(Callable<T> work) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Platform.runLater(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get(5, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    /** Loads the view {@code fxml} with {@code controller} as it is in the app (for the views of one model). */
    static javafx.scene.Parent view(String fxml, Object controller) {
        return DesktopApp.load(fxml, type -> {
            if (!type.isInstance(controller)) {
                throw new IllegalArgumentException(fxml + " asks for " + type.getName());
            }
            return controller;
        });
    }

    /** Lays {@code node} out in a scene of the given size and renders it. */
    static WritableImage snapshot(Node node, double width, double height) {
        Scene scene = node.getScene();
        if (scene == null) {
            scene = new Scene(new StackPane(node), width, height);
        }
        scene.getRoot().applyCss();
        scene.getRoot().layout();
        return scene.getRoot().snapshot(null, null);
    }

    /** How many distinct colours the image has (a blank render has one or two). */
    static int colours(WritableImage image) {
        PixelReader r = image.getPixelReader();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                seen.add(r.getArgb(x, y));
            }
        }
        return seen.size();
    }

    /** Writes {@code image} as PNG into the folder named by -Dsagestudio.screenshots, when set. */
    static void screenshot(WritableImage image, String name) throws IOException {
        String folder = System.getProperty("sagestudio.screenshots");
        if (folder == null) {
            return;
        }
        int w = (int) image.getWidth();
        int h = (int) image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        PixelReader r = image.getPixelReader();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out.setRGB(x, y, r.getArgb(x, y));
            }
        }
        Files.createDirectories(Path.of(folder));
        ImageIO.write(out, "png", Path.of(folder, name + ".png").toFile());
    }
}
