package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.bench.RealShapeResults;
import dev.sagestudio.app.bench.TestMachines;
import java.util.List;
import java.util.function.Supplier;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.StackPane;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The benchmark view's "Measured on <card>" section: the committed real-shape step times (read by
 * {@link RealShapeResults}; here tables made up for the test) per card, each backend against flash-fp16.
 */
class MeasuredResultsViewTest {

    static final String H100 = "NVIDIA H100 80GB HBM3";

    static final RealShapeResults.Table WAN_81 = new RealShapeResults.Table(H100, "wan-81f-mha (shared arena)", 32760,
            "float16 [1, 16, 21, 60, 104]", List.of("weights: random, fp16"), "real-shapes-wan-81f.json", List.of(
                    new RealShapeResults.Row("flash-fp16", 2400.0, 0.625, 34359738368L, null),
                    new RealShapeResults.Row("sage-int8-fp16", 1600.0, 0.4375, 34896609280L, null),
                    new RealShapeResults.Row("onnxruntime", null, null, null,
                            "OrtRuntimeException: Failed to allocate memory for requested buffer of size 100638720\n")));

    /** As step-time wrote it before it recorded the card and the attention's length. */
    static final RealShapeResults.Table WAN_33_UNNAMED = new RealShapeResults.Table(null, "wan-33f-mha", null,
            "float16 [1, 16, 9, 60, 104]", List.of(), "real-shapes-wan-33f.json", List.of(
                    new RealShapeResults.Row("sage-int8-fp16", 500.0, 0.4, null, null),
                    new RealShapeResults.Row("onnxruntime", 640.0, null, 21474836480L, null)));

    @BeforeAll
    static void startFx() {
        Fx.start();
    }

    @Test
    void eachCardOfEachFileGetsASectionWithEveryBackendAgainstFlashAndWhyABackendFailed() {
        List<BenchmarkViewModel.MeasuredSection> sections = BenchmarkViewModel.sections(List.of(WAN_81,
                WAN_33_UNNAMED));
        assertEquals(2, sections.size());
        BenchmarkViewModel.MeasuredSection h100 = sections.get(0);
        assertEquals("Measured on NVIDIA H100 80GB HBM3 (real-shapes-wan-81f.json)", h100.title());
        assertEquals(List.of(
                List.of("wan-81f-mha (shared arena)", "32,760", "flash-fp16", "2400.0 ms", "63 %", "32.0 GiB", "1.00×"),
                List.of("wan-81f-mha (shared arena)", "32,760", "sage-int8-fp16", "1600.0 ms", "44 %", "32.5 GiB", "1.50×"),
                List.of("wan-81f-mha (shared arena)", "32,760", "onnxruntime", "failed", "—", "—", "—")), h100.rows());
        assertEquals(List.of("weights: random, fp16"), h100.about());
        assertEquals(List.of("wan-81f-mha (shared arena), onnxruntime failed: OrtRuntimeException: Failed to allocate memory for"
                + " requested buffer of size 100638720"), h100.failures());

        BenchmarkViewModel.MeasuredSection unnamed = sections.get(1);
        assertEquals("Measured on a card the results file does not name (real-shapes-wan-33f.json)",
                unnamed.title());
        // no flash-fp16 row: no speed-up; no attention length: the sample's shape instead
        assertEquals(List.of("wan-33f-mha", "sample [1, 16, 9, 60, 104]", "onnxruntime", "640.0 ms", "—",
                "20.0 GiB", "—"), unnamed.rows().get(1));
    }

    @Test
    void twoSeriesOnOneCardAreTwoSectionsNewestFirstEachWithWhatItsOwnFileSays() {
        RealShapeResults.Table older = new RealShapeResults.Table(H100, "wan-33f-mha", 14040, null,
                List.of("flashFp16Kernel: sm_80"), "real-shapes-2026-12-06.json",
                List.of(new RealShapeResults.Row("flash-fp16", 2753.0, 0.04, null, null)));
        RealShapeResults.Table newer = new RealShapeResults.Table(H100, "wan-33f-mha", 14040, null,
                List.of("flashFp16Kernel: sm_90a"), "real-shapes-2026-12-06e.json",
                List.of(new RealShapeResults.Row("flash-fp16", 320.0, 0.24, null, null)));
        List<BenchmarkViewModel.MeasuredSection> sections = BenchmarkViewModel.sections(List.of(older, newer));
        assertEquals(List.of("Measured on NVIDIA H100 80GB HBM3 (real-shapes-2026-12-06e.json)",
                "Measured on NVIDIA H100 80GB HBM3 (real-shapes-2026-12-06.json)"),
                sections.stream().map(BenchmarkViewModel.MeasuredSection::title).toList());
        assertEquals(List.of("flashFp16Kernel: sm_90a"), sections.get(0).about());
        assertEquals(List.of("flashFp16Kernel: sm_80"), sections.get(1).about());
    }

    @Test
    void theViewShowsTheMeasuredTableUnderItsCard() throws Exception {
        Fx.call(() -> {
            Parent view = view(() -> List.of(WAN_81));
            new Scene(new StackPane(view), 1300, 900);
            WritableImage shot = Fx.snapshot(view, 1300, 900);
            assertTrue(Fx.colours(shot) > 20);
            List<String> texts = labels(view);
            assertTrue(texts.contains("Measured on NVIDIA H100 80GB HBM3 (real-shapes-wan-81f.json)"), texts.toString());
            assertTrue(texts.containsAll(List.of("model", "tokens", "backend", "median step", "attention share",
                    "peak memory", "vs flash-fp16")), texts.toString());
            assertTrue(texts.containsAll(List.of("32,760", "1600.0 ms", "1.50×", "32.5 GiB")), texts.toString());
            assertTrue(texts.contains(BenchmarkViewModel.MEASURED_CAPTION), texts.toString());
            assertTrue(texts.stream().anyMatch(t -> t.startsWith("wan-81f-mha (shared arena), onnxruntime failed: ")),
                    texts.toString());
            assertTrue(texts.contains("weights: random, fp16"), texts.toString());
            return null;
        });
    }

    @Test
    void aBuildWithoutResultsOrWithAnUnreadableFileSaysSo() throws Exception {
        Fx.call(() -> {
            assertTrue(labels(view(List::of)).contains("Step times at real shapes: none ship with this build"
                    + " (models/bench/results/real-shapes-*.json)."));
            List<String> broken = labels(view(() -> {
                throw new java.io.UncheckedIOException(new java.io.IOException(
                        "real-shapes-x.json is not a step-time --json document"));
            }));
            assertTrue(broken.stream().anyMatch(t -> t.startsWith("The real-shape step times shipped with this build"
                    + " cannot be read: ") && t.contains("real-shapes-x.json")), broken.toString());
            return null;
        });
    }

    private static Parent view(Supplier<List<RealShapeResults.Table>> measured) {
        BenchmarkViewModel vm = new BenchmarkViewModel(TestMachines.cpuOnly(List.of()),
                SweepAndBenchmarkViewTest.SAME_THREAD, SweepAndBenchmarkViewTest.SAME_THREAD, measured);
        return SweepAndBenchmarkViewTest.view(vm);
    }

    /** The texts of the view's labels, once laid out (a scroll pane's content joins the scene graph with its skin). */
    private static List<String> labels(Parent view) {
        if (view.getScene() == null) {
            new Scene(new StackPane(view), 1300, 900);
            Fx.snapshot(view, 1300, 900);
        }
        return view.lookupAll(".label").stream().map(l -> ((Label) l).getText()).toList();
    }
}
