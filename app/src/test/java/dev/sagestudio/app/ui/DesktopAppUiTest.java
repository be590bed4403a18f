package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.service.DeviceReport;
import dev.sagestudio.app.service.DeviceService;
import dev.sagestudio.app.service.HistoryService;
import dev.sagestudio.app.service.ModelInfo;
import dev.sagestudio.app.service.PipelineGenerationService;
import dev.sagestudio.app.service.SettingsService;
import dev.sagestudio.app.ui.task.FxTaskExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.Slider;
import javafx.scene.control.TabPane;
import javafx.scene.control.TextArea;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.GridPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Drives the real window headless (TestFX on Monocle) with the real generation service and the bundled models on the
 * CPU: an image, a cancelled run, a clip, reloading settings from the history, and a restart over a corrupt index.
 */
@ExtendWith(ApplicationExtension.class)
class DesktopAppUiTest {
    /** Shared so that the model's sessions stay open between tests, as they do in the app. */
    private static PipelineGenerationService generation;

    @TempDir
    Path dir;

    private FxTaskExecutor tasks;
    private DesktopApp app;

    /** The device panel is not under test here; this machine's real answer (no GPU) stands in. */
    private static final DeviceService NO_GPU = () -> new DeviceReport(false, "No usable NVIDIA GPU",
            List.of(new DeviceReport.Fact("CPU threads", "2 available")), List.of(),
            Optional.of("Install the NVIDIA driver."));

    @BeforeAll
    static void openService() {
        generation = new PipelineGenerationService();
    }

    @AfterAll
    static void closeService() {
        generation.close();
    }

    @Start
    void start(Stage stage) {
        tasks = new FxTaskExecutor();
        app = DesktopApp.show(stage, settings(), generation, NO_GPU, tasks, file -> { });
    }

    private SettingsService settings() {
        return new SettingsService(dir.resolve("settings.json"), dir.resolve("out"));
    }

    @AfterEach
    void stopWorkers() {
        tasks.close();
    }

    private GenerateViewModel vm() {
        return app.generate();
    }

    private static void waitFor(long seconds, Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void modelsLoaded() throws Exception {
        waitFor(60, () -> !vm().models().isEmpty() && vm().backendProperty().get() != null);
    }

    private void chooseModel(boolean video, int steps, FxRobot robot) {
        robot.interact(() -> {
            ModelInfo model = vm().models().stream().filter(m -> m.video() == video).findFirst().orElseThrow();
            vm().modelProperty().set(model);
            vm().stepsProperty().set(steps);
            vm().seedModeProperty().set(SeedMode.FIXED);
            vm().seedProperty().set(7);
        });
    }

    private void generate(FxRobot robot, String prompt) {
        robot.clickOn("#promptArea").eraseText(0).write(prompt);
        robot.clickOn("#generateButton");
    }

    private void waitUntilIdle(long seconds) throws Exception {
        waitFor(seconds, () -> !vm().runningProperty().get() && vm().queue().isEmpty());
    }

    /** Fails with the window's message, if the run ended in one. */
    private void assertNoMessage() {
        var shown = app.messages().shownProperty().get();
        assertEquals(null, shown, () -> shown.details());
    }

    private static <T extends Node> T node(FxRobot robot, String query, Class<T> type) {
        return robot.lookup(query).queryAs(type);
    }

    private List<Path> outputFiles(String suffix) throws Exception {
        try (var files = Files.list(dir.resolve("out"))) {
            return files.filter(f -> f.toString().endsWith(suffix)).toList();
        }
    }

    @Test
    void theCompareAndBenchmarkTabsHoldTheirScreens(FxRobot robot) throws Exception {
        TabPane tabs = node(robot, "#tabs", TabPane.class);
        var compare = tabs.getTabs().stream().filter(t -> t.getText().equals("Compare")).findFirst().orElseThrow();
        var benchmark = tabs.getTabs().stream().filter(t -> t.getText().equals("Benchmark")).findFirst()
                .orElseThrow();
        assertFalse(compare.isDisable());
        assertFalse(benchmark.isDisable());
        robot.interact(() -> tabs.getSelectionModel().select(compare));
        WaitForAsyncUtils.waitForFxEvents();
        assertNotNull(robot.lookup("#metric-psnr").tryQuery().orElse(null), "the compare screen is shown");
        robot.interact(() -> tabs.getSelectionModel().select(benchmark));
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(node(robot, "#bench-device", Label.class).isVisible(), "the benchmark screen is shown");
    }

    @Test
    void generatesAnImageWithTheBundledModelOnTheCpuAndSaysWhatRan(FxRobot robot) throws Exception {
        modelsLoaded();
        chooseModel(false, 4, robot);
        generate(robot, "a red heart, twemoji style");
        waitFor(5, () -> vm().runningProperty().get() || vm().resultProperty().get() != null);
        waitUntilIdle(180);
        assertNoMessage();

        assertNotNull(node(robot, "#pictureView", ImageView.class).getImage(), "the picture is shown");
        assertEquals(64, node(robot, "#pictureView", ImageView.class).getImage().getWidth());
        GridPane whatRan = node(robot, "#whatRanGrid", GridPane.class);
        List<String> cells = whatRan.getChildren().stream().map(n -> ((Label) n).getText()).toList();
        assertTrue(cells.contains("denoiser") && cells.contains("text encoder"), cells.toString());
        assertTrue(cells.stream().anyMatch(c -> c.startsWith("onnxruntime (ONNX Runtime's own attention")),
                cells.toString());
        assertTrue(node(robot, "#whatRanSummary", Label.class).getText().startsWith("ONNX Runtime on CPU"));
        assertEquals(1, outputFiles(".png").size(), "saved automatically");
        assertEquals("a red heart, twemoji style",
                HistoryService.parametersOf(outputFiles(".png").get(0)).get("prompt"));
        assertEquals(1, node(robot, "#thumbnailStrip", ListView.class).getItems().size());
    }

    @Test
    void escCancelsARunWithinAStepAndTheAppStaysUsable(FxRobot robot) throws Exception {
        modelsLoaded();
        chooseModel(true, 40, robot);
        generate(robot, "a rocket moving up, twemoji style");
        waitFor(120, () -> vm().progressProperty().get() > 0);
        // the steps done when the window took the Esc (read on the UI thread, whatever the machine's load)
        java.util.concurrent.atomic.AtomicInteger stepsWhenPressed = new java.util.concurrent.atomic.AtomicInteger(-1);
        robot.interact(() -> vm().cancellingProperty().addListener((obs, was, cancelling) -> {
            if (cancelling) {
                stepsWhenPressed.set((int) Math.round(vm().progressProperty().get() * 40));
            }
        }));
        robot.push(KeyCode.ESCAPE);
        waitUntilIdle(60);

        String cause = app.messages().shownProperty().get().cause();
        assertEquals("Generation cancelled", app.messages().shownProperty().get().title());
        Matcher done = Pattern.compile("cancelled after (\\d+) of 40 steps").matcher(cause);
        assertTrue(done.find(), cause);
        assertTrue(stepsWhenPressed.get() >= 1, "Esc reached the window while the clip ran");
        assertTrue(Integer.parseInt(done.group(1)) <= stepsWhenPressed.get() + 1, "stops within one step: " + cause);
        assertTrue(app.history().entries().isEmpty(), "nothing is saved for a cancelled run");
        assertFalse(node(robot, "#generateButton", Button.class).isDisabled());
        assertTrue(node(robot, "#cancelButton", Button.class).isDisabled());
    }

    @Test
    void makesAClipThatPlaysInPlaceWithAFrameScrubber(FxRobot robot) throws Exception {
        modelsLoaded();
        chooseModel(true, 2, robot);
        generate(robot, "a rocket moving up, twemoji style");
        waitFor(5, () -> vm().runningProperty().get() || vm().resultProperty().get() != null);
        waitUntilIdle(240);
        assertNoMessage();

        assertTrue(node(robot, "#playerBar", Node.class).isVisible(), "the player controls show for a clip");
        Slider scrubber = node(robot, "#frameSlider", Slider.class);
        assertEquals(15, scrubber.getMax(), "16 frames");
        double before = scrubber.getValue();
        waitFor(10, () -> scrubber.getValue() != before);
        robot.clickOn("#playButton"); // pause, then scrub: the frame stays where it was put
        robot.interact(() -> scrubber.setValue(5));
        Thread.sleep(400);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("frame 6 / 16", node(robot, "#frameLabel", Label.class).getText());
        assertEquals(1, outputFiles(".gif").size());
    }

    @Test
    void reloadsSettingsFromTheHistory(FxRobot robot) throws Exception {
        modelsLoaded();
        chooseModel(false, 3, robot);
        generate(robot, "a green apple, twemoji style");
        waitFor(5, () -> vm().runningProperty().get() || vm().resultProperty().get() != null);
        waitUntilIdle(180);
        robot.interact(() -> {
            vm().seedModeProperty().set(SeedMode.RANDOM);
            vm().stepsProperty().set(20);
        });
        robot.clickOn("#promptArea").eraseText(40).write("something else");
        TabPane tabs = node(robot, "#tabs", TabPane.class);
        robot.interact(() -> tabs.getSelectionModel().select(1));
        robot.clickOn(robot.lookup("#entryList .list-cell").nth(0).queryAs(Node.class));
        waitFor(10, () -> !node(robot, "#reloadButton", Button.class).isDisabled());
        robot.clickOn("#reloadButton");
        WaitForAsyncUtils.waitForFxEvents();

        assertEquals("a green apple, twemoji style", node(robot, "#promptArea", TextArea.class).getText());
        assertEquals(3, vm().stepsProperty().get());
        assertEquals(SeedMode.FIXED, vm().seedModeProperty().get());
        assertEquals(7, vm().seedProperty().get());
        assertEquals(0, tabs.getSelectionModel().getSelectedIndex(), "back on the Generate tab");
    }

    @Test
    void aCorruptIndexIsRebuiltWithAMessageOnRestart(FxRobot robot) throws Exception {
        modelsLoaded();
        chooseModel(false, 2, robot);
        generate(robot, "a blue star, twemoji style");
        waitFor(5, () -> vm().runningProperty().get() || vm().resultProperty().get() != null);
        waitUntilIdle(180);
        Files.writeString(dir.resolve("out").resolve(HistoryService.INDEX), "{\"version\":1,\"entr");

        robot.interact(() -> {
            app.stage().close();
            app = DesktopApp.show(new Stage(), settings(), generation, NO_GPU, tasks, file -> { });
        });
        waitFor(30, () -> app.messages().shownProperty().get() != null);

        assertEquals("History index rebuilt", app.messages().shownProperty().get().title());
        assertTrue(node(robot, "#messageBanner", Node.class).isVisible(), "shown in the window");
        waitFor(10, () -> app.history().entries().size() == 1);
        assertEquals("a blue star, twemoji style", app.history().entries().get(0).prompt());
    }
}
