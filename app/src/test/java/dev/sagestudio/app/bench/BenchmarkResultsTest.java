package dev.sagestudio.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationCancelledException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Benchmark sessions: measured on the CPU, saved, reloaded, plotted; the committed H100 results for reference. */
class BenchmarkResultsTest {

    @TempDir
    Path dir;

    static final CpuAttentionBenchmark.Plan TINY = new CpuAttentionBenchmark.Plan(
            List.of("cpu-reference", "cpu-sage-int8-fp16"), List.of(64), List.of(32, 64), List.of(false, true), 1, 1,
            0, 1);

    @Test
    void theCpuMicrobenchmarkTimesEveryPointAndCountsTopsLikeTheGpuHarness() {
        List<String> progress = new ArrayList<>();
        List<BenchRecord> records = CpuAttentionBenchmark.run(TINY,
                (done, total, r) -> progress.add(done + "/" + total + " " + r.backend()), new CancellationToken());
        assertEquals(8, records.size());
        assertEquals("1/8 cpu-reference", progress.get(0));
        assertEquals("8/8 cpu-sage-int8-fp16", progress.get(7));
        for (BenchRecord r : records) {
            assertTrue(r.gpu().startsWith("CPU: "), r.gpu());
            assertTrue(r.medianMs() > 0);
            assertEquals(BenchRecord.tops(1, 1, r.seqLen(), 64, r.causal(), r.medianMs()), r.tops(), 1e-12);
            assertEquals(r.backend().startsWith("cpu-sage"), r.includesQuant(), "the emulator quantizes inside");
        }
        TopsSeries plot = TopsSeries.of(records, 64, true);
        assertEquals(List.of(32, 64), plot.seqLens());
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16 (+q)"), plot.lines().stream()
                .map(TopsSeries.Line::name).toList());
    }

    @Test
    void aCancelledRunStopsWithTheCancellation() {
        CancellationToken cancel = new CancellationToken();
        List<BenchRecord> seen = new ArrayList<>();
        assertThrows(GenerationCancelledException.class, () -> CpuAttentionBenchmark.run(TINY, (done, total, r) -> {
            seen.add(r);
            cancel.cancel();
        }, cancel));
        assertEquals(1, seen.size());
    }

    @Test
    void aSessionIsSavedAndReloadedUnchanged() throws Exception {
        List<BenchRecord> records = CpuAttentionBenchmark.run(TINY, (d, t, r) -> { }, new CancellationToken());
        BenchmarkResults session = new BenchmarkResults("CPU: test", null, "2026-12-06", records,
                List.of(new BenchmarkResults.StepBench("m", "cpu-reference", 12.5, 4, 8, 5)),
                List.of(new BenchmarkResults.CallBench("m", 0, "2,4/4,16,16,32", Map.of("cpu-reference", 0.25))));
        Path file = dir.resolve("sub/bench.json");
        session.save(file);
        assertEquals(session, BenchmarkResults.load(file));
        Files.writeString(dir.resolve("bad.json"), "[1, 2");
        var e = assertThrows(java.io.IOException.class, () -> BenchmarkResults.load(dir.resolve("bad.json")));
        assertTrue(e.getMessage().contains("not a SageStudio benchmark file"), e.getMessage());
    }

    @Test
    void theCommittedH100ResultsLoadWithTheirPeakForReference() {
        BenchmarkResults h100 = ReferenceResults.h100();
        assertEquals("NVIDIA H100 80GB HBM3", h100.device());
        assertEquals(989.4, h100.peak().fp16Tops());
        assertEquals(240, h100.kernels().size());
        TopsSeries d128 = TopsSeries.of(h100.kernels(), 128, false);
        assertEquals(List.of(1024, 2048, 4096, 8192, 16384, 32768), d128.seqLens());
        TopsSeries.Line sage = d128.lines().stream().filter(l -> l.name().equals("sage-int8-fp16")).findFirst()
                .orElseThrow();
        // the committed NVIDIA-H100-80GB-HBM3.md table (run 15): D=128, non-causal, N=16384, sage-int8-fp16 690.7 TOPS
        assertEquals(690.7, sage.tops()[4], 0.05);
        assertTrue(d128.lines().stream().anyMatch(l -> l.name().equals("torch-flash")), "PyTorch peers included");
    }

    @Test
    void theGpuHarnessesPlainRecordListsLoadAsASession() throws Exception {
        // the committed results are such a list, as gpu-bench --out writes it
        Path file = Path.of("..", "attention", "bench", "results", "NVIDIA-H100-80GB-HBM3.json");
        BenchmarkResults loaded = BenchmarkResults.load(file);
        assertEquals(ReferenceResults.h100(), loaded);
        assertEquals("2026-12-06", loaded.date());
    }

    @Test
    void aPeakIsGivenOnlyForDevicesWhoseDatasheetIsKnown() {
        assertTrue(DevicePeak.of("NVIDIA H200").isPresent());
        assertTrue(DevicePeak.of("CPU: AMD EPYC 7B13 (2 threads)").isEmpty());
        assertTrue(DevicePeak.of("NVIDIA A100-SXM4-80GB").isEmpty());
    }
}
