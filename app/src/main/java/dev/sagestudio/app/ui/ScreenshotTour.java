package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.ModelInfo;
import dev.sagestudio.app.service.PipelineGenerationService;
import dev.sagestudio.app.service.SettingsService;
import dev.sagestudio.app.service.SystemDeviceService;
import dev.sagestudio.app.ui.task.FxTaskExecutor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.geometry.Rectangle2D;
import javafx.scene.control.ComboBox;
import javafx.scene.control.TabPane;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import javafx.scene.robot.Robot;
import javafx.stage.Stage;
import javax.imageio.ImageIO;

/**
 * Takes the README's screenshots: opens the real app (fresh settings and output folder under a temporary folder),
 * generates an image and a clip with the bundled models on the CPU, and captures each view from the screen into the
 * folder given as the argument ({@code --real-shapes-only} after it: only the Benchmark tab's real-shape section).
 * Needs a display (app/scripts/screenshots.sh runs it under Xvfb).
 */
public final class ScreenshotTour {
    private static final long RUN_TIMEOUT_SECONDS = 300;
    private static volatile Path outputFolder;
    /** Only the Benchmark tab's real-shape section (argument {@value #REAL_SHAPES_ONLY}): no generation, no runs. */
    private static final String REAL_SHAPES_ONLY = "--real-shapes-only";
    private static volatile boolean realShapesOnly;

    private ScreenshotTour() {
    }

    public static void main(String[] args) throws Exception {
        outputFolder = Path.of(args.length > 0 ? args[0] : "docs/screenshots").toAbsolutePath();
        realShapesOnly = List.of(args).contains(REAL_SHAPES_ONLY);
        Files.createDirectories(outputFolder);
        Application.launch(TourApp.class);
    }

    /** The app with a throw-away settings file and output folder. */
    public static final class TourApp extends Application {
        private final PipelineGenerationService generation = new PipelineGenerationService();
        private final SystemDeviceService device = new SystemDeviceService();
        private final FxTaskExecutor tasks = new FxTaskExecutor();

        @Override
        public void start(Stage stage) throws Exception {
            Path scratch = Files.createTempDirectory("sagestudio-tour");
            SettingsService settings = new SettingsService(scratch.resolve("settings.json"), scratch.resolve("out"));
            stage.setWidth(1280);
            stage.setHeight(840);
            DesktopApp app = DesktopApp.show(stage, settings, generation, device, tasks, file -> { });
            Thread tour = new Thread(() -> {
                int status = 0;
                try {
                    run(app);
                } catch (Throwable e) {
                    e.printStackTrace();
                    status = 1;
                }
                Platform.exit();
                tasks.close();
                generation.close();
                System.exit(status);
            }, "screenshot-tour");
            tour.setDaemon(true);
            tour.start();
        }
    }

    private static void run(DesktopApp app) throws Exception {
        if (realShapesOnly) {
            realShapes(app);
            return;
        }
        GenerateViewModel gen = app.generate();
        waitUntil(() -> !gen.models().isEmpty() && gen.backendProperty().get() != null, 60, "models to load");
        fx(() -> {
            gen.promptProperty().set("a red heart, twemoji style");
            gen.seedModeProperty().set(SeedMode.FIXED);
            gen.seedProperty().set(7);
        });
        long start = System.nanoTime();
        fx(gen::generate);
        waitUntil(() -> gen.resultProperty().get() != null && !gen.runningProperty().get(), RUN_TIMEOUT_SECONDS,
                "the image");
        System.err.printf(Locale.ROOT, "tour: first image on the CPU shown %.2f s after Generate%n",
                (System.nanoTime() - start) / 1e9);
        pause(500);
        capture(app, "generate-image.png");

        ComboBox<?> backendBox = (ComboBox<?>) app.stage().getScene().lookup("#backendBox");
        fx(backendBox::show);
        pause(3000); // the screen lags behind the scene graph on a busy machine
        captureScreen(app, "backend-picker.png");
        fx(backendBox::hide);

        ModelInfo video = get(() -> gen.models().stream().filter(ModelInfo::video).findFirst().orElseThrow());
        fx(() -> {
            gen.modelProperty().set(video);
            gen.promptProperty().set("a rocket moving up, twemoji style");
            gen.stepsProperty().set(12);
        });
        fx(gen::generate);
        waitUntil(() -> gen.runningProperty().get(), 10, "the clip to start");
        waitUntil(() -> gen.progressProperty().get() >= 0.5, RUN_TIMEOUT_SECONDS, "the clip's preview");
        capture(app, "generate-video-progress.png");
        waitUntil(() -> !gen.runningProperty().get(), RUN_TIMEOUT_SECONDS, "the clip");
        pause(700);
        capture(app, "generate-video.png");

        TabPane tabs = (TabPane) app.stage().getScene().lookup("#tabs");
        fx(() -> {
            tabs.getSelectionModel().select(1);
            app.history().selectedProperty().set(app.history().entries().get(1));
        });
        pause(700);
        capture(app, "history.png");
        fx(() -> tabs.getSelectionModel().select(4));
        waitUntil(() -> !((javafx.scene.layout.GridPane) app.stage().getScene().lookup("#factsGrid"))
                .getChildren().isEmpty(), 60, "the device report");
        pause(500);
        capture(app, "device.png");
        fx(() -> tabs.getSelectionModel().select(5));
        pause(400);
        capture(app, "settings.png");
        fx(() -> {
            app.settings().darkThemeProperty().set(true);
            app.settings().apply();
            tabs.getSelectionModel().select(0);
        });
        pause(700);
        capture(app, "generate-dark.png");
        fx(() -> {
            app.settings().darkThemeProperty().set(false);
            app.settings().apply();
        });
        compareSweepAndBenchmark(app, tabs, get(() -> gen.models().stream().filter(m -> !m.video()).findFirst()
                .orElseThrow()), video);

        fx(() -> tabs.getSelectionModel().select(0));
        Path notAModel = Files.createTempDirectory("not-a-model");
        fx(() -> gen.addModelFolder(notAModel));
        waitUntil(() -> app.messages().shownProperty().get() != null, 30, "the bad-folder message");
        pause(500);
        capture(app, "error-message.png");
    }

    /**
     * The Compare tab (A/B page in three modes, then its charts scrolled into view, then the Sweep page) and the
     * Benchmark tab, each after a real run on the CPU with the bundled image model.
     */
    private static void compareSweepAndBenchmark(DesktopApp app, TabPane tabs, ModelInfo image, ModelInfo video)
            throws Exception {
        String prompt = "a red heart, twemoji style";
        CompareViewModel compare = app.compare();
        fx(() -> tabs.getSelectionModel().select(2));
        compare(compare, image, prompt, null);
        for (CompareViewModel.Mode mode : List.of(CompareViewModel.Mode.SIDE_BY_SIDE, CompareViewModel.Mode.WIPE,
                CompareViewModel.Mode.DIFFERENCE)) {
            fx(() -> compare.modeProperty().set(mode));
            pause(700);
            capture(app, "compare-" + mode.name().toLowerCase(Locale.ROOT).replace('_', '-') + ".png");
        }
        fx(() -> {
            compare.modeProperty().set(CompareViewModel.Mode.SIDE_BY_SIDE);
            compareScrollPane(app).setVvalue(1);
        });
        pause(700);
        capture(app, "compare-charts.png");
        compare(compare, video, "a rocket moving up, twemoji style", 12);
        fx(() -> compareScrollPane(app).setVvalue(0));
        pause(700);
        capture(app, "compare-video.png");

        TabPane pages = get(() -> (TabPane) ((javafx.scene.control.Tab) tabs.getTabs().get(2)).getContent());
        SweepViewModel sweep = app.sweep();
        fx(() -> {
            pages.getSelectionModel().select(1);
            sweep.modelProperty().set(image.folder());
            sweep.promptProperty().set(prompt);
            sweep.valuesProperty().set("1, 2");
            sweep.run();
        });
        waitUntil(() -> sweep.runningProperty().get() || !sweep.cells().isEmpty(), 10, "the sweep to start");
        waitUntil(() -> !sweep.runningProperty().get(), RUN_TIMEOUT_SECONDS * 2, "the sweep");
        if (get(() -> sweep.cells().isEmpty())) {
            throw new IllegalStateException("the sweep ended without cells: " + get(() -> sweep.statusProperty()
                    .get()));
        }
        pause(700);
        capture(app, "sweep.png");

        BenchmarkViewModel bench = app.benchmark();
        fx(() -> {
            tabs.getSelectionModel().select(3);
            bench.modelProperty().set(image.folder());
            bench.run();
        });
        waitUntil(() -> bench.runningProperty().get() || bench.resultsProperty().get() != null, 10,
                "the benchmark to start");
        waitUntil(() -> !bench.runningProperty().get(), RUN_TIMEOUT_SECONDS * 2, "the benchmark");
        if (get(() -> bench.resultsProperty().get()) == null) {
            throw new IllegalStateException("the benchmark ended without results: " + get(() -> bench
                    .statusProperty().get()));
        }
        pause(700);
        capture(app, "benchmark.png");
        fx(() -> scrollPaneHolding(app, "#bench-device").setVvalue(1));
        pause(700);
        capture(app, "benchmark-generations.png");
        realShapes(app);
    }

    /** The Benchmark tab scrolled to the committed real-shape step times ("Measured on <card>"). */
    private static void realShapes(DesktopApp app) throws Exception {
        TabPane tabs = (TabPane) app.stage().getScene().lookup("#tabs");
        fx(() -> tabs.getSelectionModel().select(3));
        pause(700);
        fx(() -> {
            // the section's top at the top of the view
            javafx.scene.control.ScrollPane pane = scrollPaneHolding(app, "#bench-measured");
            javafx.scene.Node content = pane.getContent();
            double top = content.sceneToLocal(content.lookup("#bench-measured").localToScene(0, 0)).getY();
            double room = content.getBoundsInLocal().getHeight() - pane.getViewportBounds().getHeight();
            pane.setVvalue(room <= 0 ? 0 : Math.min(1, top / room));
        });
        pause(700);
        capture(app, "benchmark-real-shapes.png");
    }

    /** Runs one comparison of {@code model} ({@code steps} null: the model's default) and waits for its result. */
    private static void compare(CompareViewModel compare, ModelInfo model, String prompt, Integer steps)
            throws Exception {
        Object before = get(() -> compare.outcomeProperty().get());
        fx(() -> {
            compare.modelProperty().set(model.folder());
            compare.promptProperty().set(prompt);
            compare.seedProperty().set(7L);
            compare.stepsProperty().set(steps);
            compare.compare();
        });
        waitUntil(() -> compare.runningProperty().get(), 10, "the comparison to start");
        waitUntil(() -> !compare.runningProperty().get(), RUN_TIMEOUT_SECONDS * 2, "the comparison");
        if (get(() -> compare.outcomeProperty().get()) == before) {
            throw new IllegalStateException("the comparison ended without a result: " + get(() -> compare
                    .statusProperty().get()));
        }
    }

    /** The compare page's scroll pane (the one holding the verdict). */
    private static javafx.scene.control.ScrollPane compareScrollPane(DesktopApp app) {
        return scrollPaneHolding(app, "#verdict");
    }

    /** The scroll pane whose content holds the node {@code selector} finds. */
    private static javafx.scene.control.ScrollPane scrollPaneHolding(DesktopApp app, String selector) {
        return app.stage().getScene().getRoot().lookupAll(".scroll-pane").stream()
                .map(javafx.scene.control.ScrollPane.class::cast)
                .filter(p -> p.getContent() != null && p.getContent().lookup(selector) != null)
                .findFirst().orElseThrow(() -> new IllegalStateException("no scroll pane holds " + selector));
    }

    /** The window as rendered (a snapshot: deterministic, whatever the load on the machine). */
    private static void capture(DesktopApp app, String name) throws Exception {
        write(get(() -> app.stage().getScene().snapshot(null)), name);
    }

    /** The screen under the window: also shows open popups (the backend picker's list). */
    private static void captureScreen(DesktopApp app, String name) throws Exception {
        write(get(() -> {
            Stage s = app.stage();
            return new Robot().getScreenCapture(null, new Rectangle2D(s.getX(), s.getY(), s.getWidth(),
                    s.getHeight()));
        }), name);
    }

    private static void write(WritableImage shot, String name) throws Exception {
        int w = (int) shot.getWidth();
        int h = (int) shot.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        PixelReader pixels = shot.getPixelReader();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out.setRGB(x, y, pixels.getArgb(x, y));
            }
        }
        ImageIO.write(out, "png", outputFolder.resolve(name).toFile());
        System.err.println("tour: wrote " + outputFolder.resolve(name));
    }

    private static void fx(Runnable action) throws Exception {
        get(() -> {
            action.run();
            return null;
        });
    }

    private static <T> T get(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Platform.runLater(() -> {
            try {
                result.complete(action.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(30, TimeUnit.SECONDS);
    }

    private static void waitUntil(BooleanSupplier condition, long seconds, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!get(condition::getAsBoolean)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
            }
            pause(100);
        }
    }

    private static void pause(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }
}
