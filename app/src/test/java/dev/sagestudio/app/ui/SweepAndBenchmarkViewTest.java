package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.bench.TestMachines;
import dev.sagestudio.models.pipeline.TinyBundle;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.LineChart;
import javafx.scene.control.Label;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.StackPane;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep and benchmark views headless, on real (tiny) runs. */
class SweepAndBenchmarkViewTest {

    static final Executor SAME_THREAD = Runnable::run;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startFx() {
        Fx.start();
    }

    @Test
    void theSweepGridShowsEveryCellUnderLabelsOfWhatDiffers() throws Exception {
        Path bundle = TinyBundle.image(dir.resolve("image"), false);
        Fx.call(() -> {
            SweepViewModel vm = new SweepViewModel(SAME_THREAD, SAME_THREAD);
            vm.modelProperty().set(bundle);
            vm.promptProperty().set("a red heart");
            vm.stepsProperty().set(2);
            vm.threadsProperty().set(1);
            vm.backends().setAll("cpu-reference", "cpu-sage-int8-fp16", "onnxruntime");
            vm.valuesProperty().set("4, 5");
            Parent view = Fx.view("SweepView.fxml", new SweepController(vm));
            new Scene(new StackPane(view), 900, 700);
            vm.run();
            assertEquals(List.of("seed 4", "seed 5"), vm.rowLabels(), vm.statusProperty().get());
            WritableImage shot = Fx.snapshot(view, 900, 700);
            assertTrue(Fx.colours(shot) > 20);
            List<String> texts = view.lookupAll(".label").stream().map(l -> ((Label) l).getText()).toList();
            for (String header : List.of("cpu-reference", "cpu-sage-int8-fp16", "onnxruntime", "seed 4", "seed 5")) {
                assertTrue(texts.contains(header), header + " in " + texts);
            }
            long captions = view.lookupAll(".sweep-cell-caption").size();
            assertEquals(6, captions);
            assertTrue(((Label) view.lookup("#sweep-caption")).getText().contains("steps 2"));
            Fx.screenshot(shot, "sweep");
            return null;
        });
    }

    /** The Benchmark tab as the app loads it, on {@code vm}. */
    static Parent view(BenchmarkViewModel vm) {
        return Fx.view("BenchmarkView.fxml", new BenchmarkController(vm));
    }

    @Test
    void theBenchmarkRunsHereSaysWhyNotOnTheGpuAndChartsTheModelPerBackend() throws Exception {
        Path model = TinyBundle.image(dir.resolve("bench-model"), false);
        Fx.call(() -> {
            BenchmarkViewModel vm = new BenchmarkViewModel(TestMachines.cpuOnly(List.of("cpu-reference",
                    "cpu-sage-int8-fp16")), SAME_THREAD, SAME_THREAD);
            Parent view = view(vm);
            new Scene(new StackPane(view), 1300, 900);
            assertTrue(text(view, "bench-plan").startsWith("No usable GPU: " + TestMachines.NO_DRIVER
                    + " Run times the CPU backends cpu-reference, cpu-sage-int8-fp16"), text(view, "bench-plan"));
            vm.modelProperty().set(model);
            vm.stepsProperty().set(2);
            vm.threadsProperty().set(1);
            vm.run();
            BenchmarkResults r = vm.resultsProperty().get();
            assertTrue(r != null, vm.statusProperty().get());
            WritableImage shot = Fx.snapshot(view, 1300, 900);
            assertTrue(Fx.colours(shot) > 20);
            LineChart<?, ?> here = (LineChart<?, ?>) view.lookup("#hereChart");
            assertTrue(here.getTitle().startsWith("This machine — D=128, non-causal"), here.getTitle());
            assertEquals(2, here.getData().size(), "one line per backend");
            assertEquals(3, here.getData().get(0).getData().size(), "one point per sequence length");
            LineChart<?, ?> reference = (LineChart<?, ?>) view.lookup("#referenceChart");
            assertEquals("NVIDIA H100 80GB HBM3 — D=128, non-causal", reference.getTitle());
            assertTrue(text(view, "bench-reference").contains("NVIDIA H100 80GB HBM3 — peak 989 TOPS"));
            assertTrue(text(view, "bench-device").startsWith("CPU: "));

            BarChart<?, ?> step = (BarChart<?, ?>) view.lookup("#stepChart");
            BarChart<?, ?> total = (BarChart<?, ?>) view.lookup("#totalChart");
            assertTrue(step.isVisible() && total.isVisible());
            assertEquals(2, r.endToEnd().size());
            assertEquals(2, step.getData().get(0).getData().size(), "a bar per backend");
            for (BenchmarkResults.EndToEnd run : r.endToEnd()) {
                assertEquals(run.medianStepMs(), bar(step, run.backend()), 0, run.backend());
                assertEquals(run.totalMs() / 1000, bar(total, run.backend()), 0, run.backend());
            }
            List<String> texts = view.lookupAll(".label").stream().map(l -> ((Label) l).getText()).toList();
            assertTrue(texts.contains(String.format(java.util.Locale.ROOT, "%.1f ms",
                    r.endToEnd().get(0).medianStepMs())), "the table lists the median step: " + texts);
            return null;
        });
    }

    @Test
    void aGpuMachinesPlanNamesTheHarnessAndItsBackends() throws Exception {
        Fx.call(() -> {
            BenchmarkViewModel vm = new BenchmarkViewModel(TestMachines.posingAs(TestMachines.gpu(
                    "NVIDIA H100 80GB HBM3", 9, 0)), SAME_THREAD, SAME_THREAD);
            Parent view = view(vm);
            assertTrue(vm.runsOnGpu());
            assertTrue(text(view, "bench-plan").startsWith("Run times the GPU kernels with the gpu-bench harness on"
                    + " NVIDIA H100 80GB HBM3"), text(view, "bench-plan"));
            return null;
        });
    }

    /** The length of {@code category}'s bar in a chart whose bars lie flat. */
    static double bar(BarChart<?, ?> chart, String category) {
        return chart.getData().get(0).getData().stream().filter(d -> d.getYValue().equals(category))
                .map(d -> ((Number) d.getXValue()).doubleValue()).findFirst().orElseThrow();
    }

    static String text(Parent view, String id) {
        return ((Label) view.lookup("#" + id)).getText();
    }

    @Test
    void aSavedSessionLoadsIntoTheView() throws Exception {
        // measured with `sagestudio bench --what kernels --json` on this project's 2-core build machine
        Path session = Path.of("..", "docs", "compare", "bench-cpu.json");
        Fx.call(() -> {
            BenchmarkViewModel vm = new BenchmarkViewModel(TestMachines.cpuOnly(List.of()), SAME_THREAD, SAME_THREAD);
            Parent view = view(vm);
            new Scene(new StackPane(view), 1300, 650);
            vm.load(session);
            assertEquals(32, vm.resultsProperty().get().kernels().size());
            assertEquals(List.of(128, 256, 512, 1024), vm.hereProperty().get().seqLens());
            WritableImage shot = Fx.snapshot(view, 1300, 650);
            assertTrue(Fx.colours(shot) > 20);
            // the scroll pane's content joins the scene graph with its skin, at the first layout
            assertTrue(!view.lookup("#stepChart").isVisible(), "no generations in that session");
            Fx.screenshot(shot, "benchmark-loaded");
            return null;
        });
    }
}
