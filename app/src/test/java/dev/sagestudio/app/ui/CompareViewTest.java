package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.compare.CompareText;
import dev.sagestudio.models.pipeline.TinyBundle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executor;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.image.ImageView;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compare view headless: a real comparison on the CPU (tiny image and video bundles), every mode rendered, the
 * numbers on screen equal to the result's; arrow keys step the modes.
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
            CompareView view = new CompareView(vm);
            @SuppressWarnings("unchecked")
            javafx.scene.control.ComboBox<String> picker = (javafx.scene.control.ComboBox<String>) view.node()
                    .lookupAll(".combo-box").iterator().next();
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
            var n = vm.outcomeProperty().get().numbers();
            CompareView view = new CompareView(vm);
            Scene scene = new Scene(new javafx.scene.layout.StackPane(view.node()), 1280, 1500);
            for (CompareViewModel.Mode mode : CompareViewModel.Mode.values()) {
                vm.modeProperty().set(mode);
                WritableImage shot = Fx.snapshot(view.node(), 1280, 1500);
                assertTrue(Fx.colours(shot) > 20, mode + " renders something");
                assertTrue(view.node().lookupAll(".image-view").stream()
                        .anyMatch(v -> ((ImageView) v).getImage() != null && v.isVisible()), mode + " shows an image");
                Fx.screenshot(shot, "compare-" + mode.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            Node root = view.node();
            assertEquals(CompareText.psnr(n.quality().psnr()) + " dB", text(root, "metric-psnr"));
            assertEquals(String.format(Locale.ROOT, "%.6f", n.quality().ssim()), text(root, "metric-ssim"));
            assertEquals(String.format(Locale.ROOT, "%.8f", n.quality().cosine()), text(root, "metric-cosine"));
            assertEquals(String.format(Locale.ROOT, "%.3e", n.quality().maxAbs()), text(root, "metric-max-abs"));
            assertEquals(CompareText.verdict(n), text(root, "verdict"));
            assertTrue(text(root, "worst-layer").startsWith("Worst layer: "), text(root, "worst-layer"));

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
            CompareView view = new CompareView(vm);
            new Scene(new javafx.scene.layout.StackPane(view.node()), 1280, 1500);
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
            for (CompareViewModel.Mode mode : CompareViewModel.Mode.values()) {
                vm.modeProperty().set(mode);
                WritableImage shot = Fx.snapshot(view.node(), 1280, 1500);
                assertTrue(Fx.colours(shot) > 20, mode + " renders something");
                Fx.screenshot(shot, "compare-bundled-" + mode.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            // the scroll pane's content joins the scene graph once its skin exists (after the first layout)
            assertEquals(CompareText.psnr(n.quality().psnr()) + " dB", text(view.node(), "metric-psnr"));
            return null;
        });
    }

    @Test
    void aVideoComparisonScrubsFramesInLockstepAndPlotsPsnrPerFrame() throws Exception {
        Path bundle = TinyBundle.video(dir.resolve("video"));
        Fx.call(() -> {
            CompareViewModel vm = compared(bundle, 2);
            var n = vm.outcomeProperty().get().numbers();
            assertTrue(n.frames().size() > 1);
            CompareView view = new CompareView(vm);
            new Scene(new javafx.scene.layout.StackPane(view.node()), 1280, 1600);
            vm.frameProperty().set(n.frames().size() - 1);
            WritableImage shot = Fx.snapshot(view.node(), 1280, 1600);
            assertTrue(Fx.colours(shot) > 20);
            assertEquals("frame " + n.frames().size() + ": PSNR " + CompareText.psnr(
                    n.frames().get(n.frames().size() - 1).psnr()) + " dB", vm.framePsnrProperty().get());
            assertTrue(view.node().lookupAll(".chart-title").stream()
                    .anyMatch(t -> ((Label) t).getText().startsWith("PSNR per frame")), "per-frame plot");
            Fx.screenshot(shot, "compare-video");
            return null;
        });
    }
}
