package dev.sagestudio.app.ui;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.bench.TestMachines;
import dev.sagestudio.app.compare.CompareOutcome;
import dev.sagestudio.app.compare.CompareText;
import dev.sagestudio.app.compare.FixedResults;
import dev.sagestudio.app.compare.SweepPlan;
import dev.sagestudio.models.pipeline.AbResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compare, sweep and benchmark ViewModels fed from fixed results; everything runs on the calling thread. */
class CompareViewModelsTest {

    static final Executor SAME_THREAD = Runnable::run;

    @TempDir
    Path dir;

    @Test
    void theMetricsShownAreTheResultsOwn() {
        AbResult r = FixedResults.image();
        CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
        vm.show(CompareOutcome.of(r));
        assertEquals(CompareText.psnr(r.metrics().psnr()) + " dB", vm.psnrProperty().get());
        assertEquals(String.format(Locale.ROOT, "%.6f", r.metrics().ssim()), vm.ssimProperty().get());
        assertEquals(String.format(Locale.ROOT, "%.8f", r.metrics().raw().cosineSimilarity()),
                vm.cosineProperty().get());
        assertEquals(String.format(Locale.ROOT, "%.3e", r.metrics().raw().maxAbsError()), vm.maxAbsProperty().get());
        assertEquals(List.of("total", "denoiser step (median)", "ONNX Runtime", "attention"),
                vm.timing().stream().map(CompareViewModel.TimingRow::label).toList());
        assertEquals(32.0, vm.timing().get(1).aMs(), 1e-9);
        assertEquals(13.0, vm.timing().get(1).bMs(), 1e-9);
        assertEquals("2.46×", vm.timing().get(1).ratioText());
        assertTrue(vm.verdictProperty().get().startsWith("cpu-sage-int8-fp16 took 13.0 ms per denoiser step"
                + " against cpu-reference's 32.0 ms: 2.46× faster"), vm.verdictProperty().get());
        assertTrue(vm.worstLayerProperty().get().startsWith("Worst layer: attn2 at step 3"),
                vm.worstLayerProperty().get());
        assertEquals(List.of("attn1", "attn2", "attn3"), vm.layerLabels());
        assertEquals(List.of("step 1", "step 3"), vm.layerLines().stream().map(s -> s.name()).toList());
        assertTrue(vm.framePsnrLine().isEmpty(), "no per-frame plot for an image");
        assertEquals("", vm.framePsnrProperty().get());
    }

    @Test
    void arrowKeysCycleTheModesAndTheGainAndFrameRedrawTheDifference() {
        CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
        vm.show(CompareOutcome.of(FixedResults.video(4)));
        assertEquals(CompareViewModel.Mode.SIDE_BY_SIDE, vm.modeProperty().get());
        vm.nextMode();
        vm.nextMode();
        vm.nextMode();
        assertEquals(CompareViewModel.Mode.DIFFERENCE, vm.modeProperty().get());
        vm.nextMode();
        assertEquals(CompareViewModel.Mode.SIDE_BY_SIDE, vm.modeProperty().get(), "wraps around");
        vm.previousMode();
        assertEquals(CompareViewModel.Mode.DIFFERENCE, vm.modeProperty().get());

        assertEquals(5.0, vm.gainProperty().get(), "starts at the suggested gain");
        assertEquals(0.2, vm.legend().get(vm.legend().size() - 1).value(), 1e-12, "scale top = 1 / gain");
        int before = vm.differenceImageProperty().get().argb(0, 0);
        vm.gainProperty().set(1);
        assertNotEquals(before, vm.differenceImageProperty().get().argb(0, 0));
        assertEquals(1.0, vm.legend().get(vm.legend().size() - 1).value(), 1e-12);

        var frame0 = vm.imageBProperty().get();
        vm.frameProperty().set(2);
        assertNotEquals(frame0, vm.imageBProperty().get());
        assertTrue(vm.framePsnrProperty().get().startsWith("frame 3: PSNR "), vm.framePsnrProperty().get());
        assertEquals(1, vm.framePsnrLine().size());
        assertEquals(4, vm.framePsnrLine().get(0).values().length);
        assertEquals(0, vm.frameAt(0));
        assertEquals(1, vm.frameAt(1.0 / 8), "8 fps: both clips advance together");
        assertEquals(0, vm.frameAt(4.0 / 8), "loops");

        assertTrue(vm.flickerShowsAProperty().get());
        vm.flickerTick();
        assertFalse(vm.flickerShowsAProperty().get());
    }

    @Test
    void withoutARunThereIsNothingToExportAndAMissingModelIsSaid() {
        CompareViewModel vm = new CompareViewModel(SAME_THREAD, SAME_THREAD);
        assertFalse(vm.canExport());
        assertThrows(IllegalStateException.class, () -> vm.exportReport(dir.resolve("r.html")));
        vm.compare();
        assertEquals("Pick a model and write a prompt first.", vm.statusProperty().get());
        assertFalse(vm.runningProperty().get());
    }

    @Test
    void theSweepShowsOnlyWhatDiffersAndEachCellsTimeAndPsnr() throws Exception {
        SweepViewModel vm = new SweepViewModel(SAME_THREAD, SAME_THREAD);
        vm.show(FixedResults.sweep());
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16"), vm.columnLabels());
        assertEquals(List.of("seed 1", "seed 2"), vm.rowLabels());
        assertTrue(vm.captionProperty().get().contains("steps 3"), vm.captionProperty().get());
        assertFalse(vm.captionProperty().get().contains("seed"), vm.captionProperty().get());
        SweepViewModel.CellView reference = vm.cells().get(0).get(0);
        SweepViewModel.CellView quantized = vm.cells().get(0).get(1);
        assertTrue(reference.caption().endsWith("reference"), reference.caption());
        assertEquals(Double.POSITIVE_INFINITY, reference.psnr());
        assertTrue(quantized.caption().contains("PSNR " + CompareText.psnr(quantized.psnr()) + " dB"));
        vm.exportImage(dir.resolve("grid.png"));
        assertTrue(Files.size(dir.resolve("grid.png")) > 0);
    }

    @Test
    void theSweepFormRefusesBadRowsWithAReason() {
        SweepViewModel vm = new SweepViewModel(SAME_THREAD, SAME_THREAD);
        vm.modelProperty().set(dir);
        vm.promptProperty().set("a cat");
        vm.valuesProperty().set("1, two");
        assertTrue(vm.job().isEmpty());
        assertEquals("Cannot sweep: 'two' is not a whole number", vm.statusProperty().get());
        vm.axisProperty().set(SweepPlan.Axis.STEPS);
        vm.valuesProperty().set("4 8 0");
        assertTrue(vm.job().isEmpty());
        assertTrue(vm.statusProperty().get().contains("between 1 and 1000"), vm.statusProperty().get());
        vm.valuesProperty().set("4, 8");
        assertEquals(List.of(4L, 8L), vm.job().orElseThrow().values());
    }

    @Test
    void theBenchmarkPlotsTheSelectionWithTheH100ReferenceAndSessionsReload() throws Exception {
        BenchmarkViewModel vm = new BenchmarkViewModel(TestMachines.cpuOnly(List.of()), SAME_THREAD, SAME_THREAD);
        assertNull(vm.hereProperty().get(), "nothing measured yet");
        assertTrue(vm.referenceDeviceProperty().get().startsWith("NVIDIA H100 80GB HBM3 — peak 989 TOPS FP16"));
        assertEquals(128, vm.referenceProperty().get().headDim());
        vm.modelProperty().set(null);
        vm.run();
        assertFalse(vm.runningProperty().get());
        assertEquals(1.0, vm.progressProperty().get(), 1e-12);
        assertTrue(vm.deviceProperty().get().startsWith("CPU: ") && vm.deviceProperty().get().endsWith("peak not known"));
        assertEquals(List.of(32, 64, 128), vm.hereProperty().get().seqLens());
        vm.headDimProperty().set(64);
        vm.causalProperty().set(true);
        assertEquals(64, vm.hereProperty().get().headDim());
        assertTrue(vm.hereProperty().get().causal());
        assertEquals(64, vm.referenceProperty().get().headDim());
        vm.showReferenceProperty().set(false);
        assertNull(vm.referenceProperty().get());

        Path file = dir.resolve("bench.json");
        vm.save(file);
        BenchmarkViewModel other = new BenchmarkViewModel(TestMachines.cpuOnly(List.of()), SAME_THREAD, SAME_THREAD);
        other.load(file);
        assertEquals(vm.resultsProperty().get(), other.resultsProperty().get());
        assertEquals(24, BenchmarkResults.load(file).kernels().size());
    }

    @Test
    void theScreensReachTheLibrariesOnlyThroughTheAppAndTheViewModelsHoldNoSceneGraph() {
        var ui = new ClassFileImporter().withImportOption(new com.tngtech.archunit.core.importer.ImportOption
                .DoNotIncludeTests()).importPackages("dev.sagestudio.app.ui");
        assertTrue(ui.contain(CompareController.class) && ui.contain(CompareViewModel.class));
        noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.sagestudio.models..",
                "dev.sagestudio.attention..").check(ui);
        noClasses().that().haveSimpleNameEndingWith("ViewModel").should().dependOnClassesThat()
                .resideInAnyPackage("javafx.scene..", "javafx.stage..").check(ui);
    }
}
