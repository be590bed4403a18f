package dev.sagestudio.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.models.pipeline.GenerationCancelledException;
import dev.sagestudio.models.pipeline.TinyBundle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the benchmark view's Run measures on machines with and without a GPU (the backend catalog's availability
 * decides), the GPU harness's progress and cancellation, and a model generated end to end per backend.
 */
class MachineBenchmarkServiceTest {

    @TempDir
    static Path dir;

    @Test
    void withoutAGpuThePlanSaysWhyAndTimesTheCpuBackends() {
        BenchPlan plan = TestMachines.cpuOnly(List.of("cpu-reference")).plan();
        assertFalse(plan.onGpu());
        assertEquals(Optional.of(TestMachines.NO_DRIVER), plan.whyNotGpu());
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16"), plan.kernelBackends());
        assertTrue(plan.device().startsWith("CPU: "), plan.device());
        assertTrue(plan.describe().startsWith("No usable GPU: No NVIDIA driver was found. Run times the CPU backends"
                + " cpu-reference, cpu-sage-int8-fp16 on CPU: "), plan.describe());
    }

    @Test
    void onAHopperGpuTheHarnessTimesEveryGpuBackend() {
        BenchPlan plan = TestMachines.posingAs(TestMachines.gpu("NVIDIA H100 80GB HBM3", 9, 0)).plan();
        assertTrue(plan.onGpu());
        assertEquals("NVIDIA H100 80GB HBM3", plan.device());
        assertEquals(List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8"),
                plan.kernelBackends());
        assertEquals(List.of(), plan.notes());
        assertTrue(plan.describe().startsWith("Run times the GPU kernels with the gpu-bench harness on NVIDIA H100"
                + " 80GB HBM3: flash-fp16, sage-int8-fp16, sage-int8-fp16acc, sage-int8-fp8."), plan.describe());
    }

    @Test
    void onAnAmpereGpuTheFp8KernelIsLeftOutWithTheCatalogsReason() {
        BenchPlan plan = TestMachines.posingAs(TestMachines.gpu("NVIDIA A100", 8, 0)).plan();
        assertEquals(List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc"), plan.kernelBackends());
        assertEquals(List.of("sage-int8-fp8 needs compute capability 8.9 or newer; NVIDIA A100 has 8.0"),
                plan.notes());
        assertTrue(plan.describe().contains("Not timed: sage-int8-fp8 needs compute capability 8.9"));
    }

    @Test
    void theHarnessTakesTheGpuBenchCommandsDefaultPoints() {
        var settings = GpuHarness.defaults(List.of("flash-fp16", "sage-int8-fp16"));
        assertEquals(List.of(1024, 2048, 4096, 8192, 16384, 32768), settings.seqLens());
        assertEquals(List.of(128, 64), settings.headDims());
        assertEquals(List.of(false, true), settings.causalModes());
        assertEquals(4, settings.batch());
        assertEquals(32, settings.heads());
        assertEquals(20, settings.runs());
        // 2 backends × 2 head dims × 6 lengths × 2 causal settings
        assertEquals(48, GpuHarness.points(settings));
    }

    @Test
    void theHarnessListenerCountsEachKernelTimingOnceAndStopsWhenCancelled() {
        List<String> heard = new ArrayList<>();
        boolean[] cancelled = {false};
        GpuHarness.Listener listener = new GpuHarness.Listener(4, (done, total, r) -> heard.add(done + "/" + total
                + " " + GpuHarness.describe(r)), () -> cancelled[0]);
        listener.measured(record("sage-int8-fp16", false, 600));
        listener.measured(record("sage-int8-fp16", true, 550));
        listener.measured(record("flash-fp16", false, 300));
        assertEquals(List.of("1/4 sage-int8-fp16 D=128 N=4096 non-causal: 600.0 TOPS",
                "1/4 sage-int8-fp16 D=128 N=4096 non-causal (+q): 550.0 TOPS",
                "2/4 flash-fp16 D=128 N=4096 non-causal: 300.0 TOPS"), heard);
        cancelled[0] = true;
        assertThrows(GenerationCancelledException.class, () -> listener.measured(record("flash-fp16", false, 1)));
    }

    private static BenchRecord record(String backend, boolean withQuant, double tops) {
        return new BenchRecord("NVIDIA H100 80GB HBM3", "2026-12-06", backend, 4, 32, 128, 4096, false, withQuant, tops,
                1.0, 20, "fp16", "kernel");
    }

    @Test
    void withAModelEachBackendGeneratesItEndToEndAndTheSessionKeepsIt() throws Exception {
        Path model = TinyBundle.image(dir.resolve("tiny"), false);
        MachineBenchmarkService service = TestMachines.cpuOnly(List.of("cpu-reference", "onnxruntime"));
        List<Double> fractions = new ArrayList<>();
        BenchmarkResults r = service.run(new BenchmarkService.Request(model, 2, 1),
                (fraction, what) -> fractions.add(fraction), () -> false);
        assertEquals(24, r.kernels().size(), "2 backends × 2 head dims × 3 lengths × 2 causal settings");
        assertEquals(List.of("cpu-reference", "onnxruntime"), r.endToEnd().stream()
                .map(BenchmarkResults.EndToEnd::backend).toList());
        for (BenchmarkResults.EndToEnd run : r.endToEnd()) {
            assertEquals(2, run.steps());
            assertTrue(run.medianStepMs() > 0 && run.totalMs() >= 2 * run.medianStepMs() * 0.5, run.toString());
            assertTrue(run.ortMs() > 0, run.toString());
        }
        assertEquals("cpu-reference", r.endToEnd().get(0).ran());
        assertTrue(r.endToEnd().get(1).ran().startsWith("onnxruntime"), r.endToEnd().get(1).ran());
        assertTrue(fractions.stream().allMatch(f -> f >= 0 && f <= 1), fractions.toString());
        assertEquals(0.5, fractions.get(23), 1e-9, "the kernels fill the first half");
        assertEquals(1.0, fractions.get(fractions.size() - 1), 1e-9);

        Path file = dir.resolve("session.json");
        r.save(file);
        assertEquals(r, BenchmarkResults.load(file));
    }

    @Test
    void cancellingStopsTheGenerationsToo() throws Exception {
        Path model = TinyBundle.image(dir.resolve("tiny-cancel"), false);
        MachineBenchmarkService service = TestMachines.cpuOnly(List.of("cpu-reference", "onnxruntime"));
        boolean[] generating = {false};
        assertThrows(GenerationCancelledException.class, () -> service.run(new BenchmarkService.Request(model, 3, 1),
                (fraction, what) -> generating[0] |= what.contains(": step "), () -> generating[0]));
    }
}
