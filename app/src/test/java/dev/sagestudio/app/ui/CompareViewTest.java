package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.compare.CompareCharts;
import dev.sagestudio.app.compare.CompareOutcome;
import dev.sagestudio.app.compare.CompareText;
import dev.sagestudio.app.compare.SvgCharts;
import dev.sagestudio.models.pipeline.TinyBundle;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.LineChart;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.image.ImageView;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The A/B page (CompareView.fxml) headless: real comparisons on the CPU (a tiny image bundle, the bundled image and
 * video models), every mode rendered with its own images, the numbers on screen equal to the result's; arrow keys step
 * the modes; a clip's scrubber moves both clips and the per-frame PSNR line is the result's.
 */
class CompareViewTest {

    static final Executor SAME_THREAD = Runnable::run;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startFx() {
        Fx.start();
    }

    static CompareViewModel compared(Path bundle, int steps) {
        CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
        vm.modelProperty().set(bundle);
        vm.promptProperty().set("a red heart");
        vm.seedProperty().set(3L);
        vm.stepsProperty().set(steps);
        vm.backendAProperty().set("cpu-reference");
        vm.backendBProperty().set("cpu-sage-int8-fp16");
        vm.threadsProperty().set(1);
        vm.compare();
        return vm;
    }

    /** The A/B page as the app loads it, on {@code vm}. */
    static Parent view(CompareViewModel vm) {
        return Fx.view("CompareView.fxml", new CompareController(vm));
    }

    static String text(Node root, String id) {
        return ((Label) root.lookup("#" + id)).getText();
    }

    @Test
    void theModelPickerShowsTheModelTheViewModelHolds() throws Exception {
        Path video = dev.sagestudio.app.service.BundleLocator.bundledModelFolders().stream()
                .filter(f -> f.endsWith("sage-emoji-t2v")).findFirst().orElseThrow();
        Path other = TinyBundle.image(dir.resolve("picked"), false);
        Fx.call(() -> {
            CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
            Parent view = view(vm);
            @SuppressWarnings("unchecked")
            javafx.scene.control.ComboBox<String> picker = (javafx.scene.control.ComboBox<String>) view
                    .lookup("#compareModelBox");
            assertEquals("sage-emoji-t2i", picker.getValue(), "starts on the bundled image model");
            vm.modelProperty().set(video);
            assertEquals("sage-emoji-t2v", picker.getValue(), "a bundled model by its name");
            vm.modelProperty().set(other);
            assertEquals(other.toString(), picker.getValue(), "another bundle by its folder");
            assertEquals(other, vm.modelProperty().get(), "showing it does not change the choice");
            return null;
        });
    }

    @Test
    void everyModeRendersAndTheNumbersShownAreTheResults() throws Exception {
        Path bundle = TinyBundle.image(dir.resolve("image"), false);
        Fx.call(() -> {
            CompareViewModel vm = compared(bundle, 3);
            assertTrue(vm.canExport(), vm.statusProperty().get());
            Parent root = view(vm);
            new Scene(new javafx.scene.layout.StackPane(root), 1280, 1600);
            assertEveryModeShowsItsImages(vm, root, "compare-");
            assertTheNumbersShownAreTheResults(root, vm.outcomeProperty().get());

            vm.modeProperty().set(CompareViewModel.Mode.SIDE_BY_SIDE);
            root.fireEvent(new KeyEvent(KeyEvent.KEY_PRESSED, "", "", KeyCode.RIGHT, false, false, false, false));
            assertEquals(CompareViewModel.Mode.WIPE, vm.modeProperty().get());
            root.fireEvent(new KeyEvent(KeyEvent.KEY_PRESSED, "", "", KeyCode.LEFT, false, false, false, false));
            assertEquals(CompareViewModel.Mode.SIDE_BY_SIDE, vm.modeProperty().get());
            vm.exportReport(dir.resolve("from-view.html"));
            return null;
        });
        assertTrue(java.nio.file.Files.exists(dir.resolve("from-view.json")));
    }

    @Test
    void theScreenStartsOnTheBundledImageModelAndComparesItOnTheCpu() throws Exception {
        Fx.call(() -> {
            CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
            Parent root = view(vm);
            new Scene(new javafx.scene.layout.StackPane(root), 1280, 1500);
            assertTrue(vm.modelProperty().get().endsWith(Path.of("models", "bundled", "sage-emoji-t2i")),
                    "picked by default: " + vm.modelProperty().get());
            vm.promptProperty().set("a red heart, twemoji style");
            vm.stepsProperty().set(2);
            vm.threadsProperty().set(2);
            vm.compare();
            var n = vm.outcomeProperty().get().numbers();
            assertEquals("sage-emoji-t2i", n.setup().model());
            assertEquals(64, n.setup().width());
            assertTrue(n.quality().psnr() > 30, "quantized attention stays close: " + n.quality().psnr());
            assertEveryModeShowsItsImages(vm, root, "compare-bundled-");
            // the scroll pane's content joins the scene graph once its skin exists (after the first layout)
            assertTheNumbersShownAreTheResults(root, vm.outcomeProperty().get());
            return null;
        });
    }

    @Test
    void theBundledVideoModelComparesFrameByFrameInEveryModeWithTheResultsNumbers() throws Exception {
        Path video = dev.sagestudio.app.service.BundleLocator.bundledModelFolders().stream()
                .filter(f -> f.endsWith("sage-emoji-t2v")).findFirst().orElseThrow();
        Fx.call(() -> {
            CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
            Parent root = view(vm);
            new Scene(new javafx.scene.layout.StackPane(root), 1280, 1600);
            vm.modelProperty().set(video);
            vm.promptProperty().set("a rocket moving up, twemoji style");
            vm.seedProperty().set(7L);
            // two steps keep the test near a minute on two cores; the numbers are checked, not their quality
            vm.stepsProperty().set(2);
            vm.threadsProperty().set(2);
            vm.backendAProperty().set("cpu-reference");
            vm.backendBProperty().set("cpu-sage-int8-fp16");
            vm.compare();
            CompareOutcome outcome = vm.outcomeProperty().get();
            assertTrue(outcome != null, vm.statusProperty().get());
            var n = outcome.numbers();
            assertEquals("sage-emoji-t2v", n.setup().model());
            int frames = n.frames().size();
            assertTrue(frames > 1 && frames == outcome.frames(), "frames: " + frames);
            assertEveryModeShowsItsImages(vm, root, "compare-bundled-video-");
            assertTheNumbersShownAreTheResults(root, outcome);

            assertTrue(root.lookup("#frameBar").isVisible(), "a clip gets the scrubber");
            vm.frameProperty().set(frames - 1);
            assertEquals(frames - 1, (int) ((Slider) root.lookup("#compareFrameSlider")).getValue(), "the scrubber follows");
            assertEquals(outcome.framesA().get(frames - 1), vm.imageAProperty().get(), "A on the last frame");
            assertEquals(outcome.framesB().get(frames - 1), vm.imageBProperty().get(), "B on the same frame");
            assertEquals("frame " + frames + ": PSNR " + CompareText.psnr(n.frames().get(frames - 1).psnr()) + " dB",
                    text(root, "framePsnrLabel"));
            LineChart<?, ?> perFrame = (LineChart<?, ?>) root.lookup("#framePsnrChart");
            assertTrue(perFrame.isVisible());
            var points = perFrame.getData().get(0).getData();
            for (var point : points) {
                int f = Integer.parseInt((String) point.getXValue()) - 1;
                assertEquals(n.frames().get(f).psnr(), ((Number) point.getYValue()).doubleValue(), 0,
                        "PSNR of frame " + (f + 1));
            }
            ((Slider) root.lookup("#compareFrameSlider")).setValue(1);
            assertEquals(1, vm.frameProperty().get(), "scrubbing moves both clips");
            Fx.screenshot(Fx.snapshot(root, 1280, 1600), "compare-bundled-video");
            return null;
        });
    }

    /** Each mode shows its own images (both outputs, or one), and only those, and the page renders. */
    static void assertEveryModeShowsItsImages(CompareViewModel vm, Parent root, String screenshotPrefix)
            throws Exception {
        Map<CompareViewModel.Mode, Integer> images = Map.of(CompareViewModel.Mode.SIDE_BY_SIDE, 2,
                CompareViewModel.Mode.WIPE, 2, CompareViewModel.Mode.FLICKER, 1, CompareViewModel.Mode.DIFFERENCE, 1);
        for (CompareViewModel.Mode mode : CompareViewModel.Mode.values()) {
            vm.modeProperty().set(mode);
            WritableImage shot = Fx.snapshot(root, 1280, 1600);
            assertTrue(Fx.colours(shot) > 20, mode + " renders something");
            List<ImageView> shown = root.lookupAll(".image-view").stream().map(ImageView.class::cast)
                    .filter(v -> v.getImage() != null && shownWithItsParents(v)).toList();
            assertEquals(images.get(mode), shown.size(), mode + " shows " + images.get(mode) + " image(s)");
            Fx.screenshot(shot, screenshotPrefix + mode.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
    }

    private static boolean shownWithItsParents(Node node) {
        for (Node n = node; n != null; n = n.getParent()) {
            if (!n.isVisible()) {
                return false;
            }
        }
        return true;
    }

    /** The metrics, verdict, worst layer and timing bars on the page are the outcome's numbers. */
    static void assertTheNumbersShownAreTheResults(Parent root, CompareOutcome outcome) {
        var n = outcome.numbers();
        assertEquals(CompareText.psnr(n.quality().psnr()) + " dB", text(root, "metric-psnr"));
        assertEquals(String.format(Locale.ROOT, "%.6f", n.quality().ssim()), text(root, "metric-ssim"));
        assertEquals(String.format(Locale.ROOT, "%.8f", n.quality().cosine()), text(root, "metric-cosine"));
        assertEquals(String.format(Locale.ROOT, "%.3e", n.quality().maxAbs()), text(root, "metric-max-abs"));
        assertEquals(CompareText.verdict(n), text(root, "verdict"));
        assertEquals(CompareText.speedups(n), text(root, "speedups"));
        assertTrue(text(root, "worst-layer").startsWith("Worst layer: "), text(root, "worst-layer"));
        BarChart<?, ?> timing = (BarChart<?, ?>) root.lookup("#timingChart");
        List<SvgCharts.Series> bars = CompareCharts.timingBars(n);
        assertEquals(bars.size(), timing.getData().size(), "A and B");
        for (int s = 0; s < bars.size(); s++) {
            assertEquals(bars.get(s).name(), timing.getData().get(s).getName());
            for (var bar : timing.getData().get(s).getData()) {
                int i = CompareCharts.TIMING_CATEGORIES.indexOf((String) bar.getXValue());
                assertEquals(bars.get(s).values()[i], ((Number) bar.getYValue()).doubleValue(), 0,
                        bars.get(s).name() + " " + bar.getXValue());
            }
        }
        LineChart<?, ?> layers = (LineChart<?, ?>) root.lookup("#layerChart");
        assertEquals(n.layers().steps().size(), layers.getData().size(), "one line per sampled step");
        assertTrue(root.lookup("#heatmap").isVisible(), "the steps × layers heatmap");
    }
}
