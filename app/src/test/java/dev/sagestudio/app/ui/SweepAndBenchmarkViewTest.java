package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.bench.CpuAttentionBenchmark;
import dev.sagestudio.models.pipeline.TinyBundle;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import javafx.scene.Scene;
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
            SweepView view = new SweepView(vm);
            new Scene(new StackPane(view.node()), 900, 700);
            vm.run();
            assertEquals(List.of("seed 4", "seed 5"), vm.rowLabels(), vm.statusProperty().get());
            WritableImage shot = Fx.snapshot(view.node(), 900, 700);
            assertTrue(Fx.colours(shot) > 20);
            List<String> texts = view.node().lookupAll(".label").stream().map(l -> ((Label) l).getText()).toList();
            for (String header : List.of("cpu-reference", "cpu-sage-int8-fp16", "onnxruntime", "seed 4", "seed 5")) {
                assertTrue(texts.contains(header), header + " in " + texts);
            }
            long captions = view.node().lookupAll(".sweep-cell-caption").size();
            assertEquals(6, captions);
            assertTrue(((Label) view.node().lookup("#sweep-caption")).getText().contains("steps 2"));
            Fx.screenshot(shot, "sweep");
            return null;
        });
    }

    @Test
    void theBenchmarkPlotsThisMachineNextToTheH100Reference() throws Exception {
        Fx.call(() -> {
            BenchmarkViewModel vm = new BenchmarkViewModel(SAME_THREAD, SAME_THREAD);
            BenchmarkView view = new BenchmarkView(vm);
            new Scene(new StackPane(view.node()), 1300, 650);
            vm.run(new CpuAttentionBenchmark.Plan(List.of("cpu-reference", "cpu-sage-int8-fp16"), List.of(64, 128),
                    List.of(32, 64, 128), List.of(false, true), 1, 1, 0, 1));
            WritableImage shot = Fx.snapshot(view.node(), 1300, 650);
            assertTrue(Fx.colours(shot) > 20);
            var charts = view.node().lookupAll(".chart").stream().map(c -> (LineChart<?, ?>) c).toList();
            assertEquals(2, charts.size(), "this machine and the H100 reference");
            assertTrue(charts.get(0).getTitle().startsWith("This machine — D=128, non-causal"), charts.get(0).getTitle());
            assertEquals(2, charts.get(0).getData().size(), "one line per backend");
            assertEquals(3, charts.get(0).getData().get(0).getData().size(), "one point per sequence length");
            assertEquals("NVIDIA H100 80GB HBM3 — D=128, non-causal", charts.get(1).getTitle());
            assertTrue(((Label) view.node().lookup("#bench-reference")).getText()
                    .contains("NVIDIA H100 80GB HBM3 — peak 989 TOPS"));
            assertTrue(((Label) view.node().lookup("#bench-device")).getText().startsWith("CPU: "));
            return null;
        });
    }

    @Test
    void aSavedSessionLoadsIntoTheView() throws Exception {
        // measured with `sagestudio bench --what kernels --json` on this project's 2-core build machine
        Path session = Path.of("..", "docs", "compare", "bench-cpu.json");
        Fx.call(() -> {
            BenchmarkViewModel vm = new BenchmarkViewModel(SAME_THREAD, SAME_THREAD);
            BenchmarkView view = new BenchmarkView(vm);
            new Scene(new StackPane(view.node()), 1300, 650);
            vm.load(session);
            assertEquals(32, vm.resultsProperty().get().kernels().size());
            assertEquals(List.of(128, 256, 512, 1024), vm.hereProperty().get().seqLens());
            WritableImage shot = Fx.snapshot(view.node(), 1300, 650);
            assertTrue(Fx.colours(shot) > 20);
            Fx.screenshot(shot, "benchmark");
            return null;
        });
    }
}
