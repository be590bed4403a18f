package dev.sagestudio.app.bench;

import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.PipelineBench;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code bench} command's results as a {@link BenchmarkResults} session, and the kernels run with its table. */
public final class BenchSession {

    private final BenchmarkResults results;

    private BenchSession(BenchmarkResults results) {
        this.results = results;
    }

    public BenchmarkResults results() {
        return results;
    }

    /** Saves the session to {@code file} (when not null) and says so. */
    public void saveIfAsked(Path file, PrintWriter out) throws IOException {
        if (file != null) {
            results.save(file);
            out.println("saved " + file);
        }
    }

    /** Step times of {@code model} on this machine's CPU (the {@code bench} command runs ONNX Runtime there). */
    public static BenchSession steps(String model, List<PipelineBench.StepTime> times) {
        List<BenchmarkResults.StepBench> steps = new ArrayList<>();
        for (PipelineBench.StepTime t : times) {
            steps.add(new BenchmarkResults.StepBench(model, t.backend(), t.totalNanos() / 1e6, t.ortNanos() / 1e6,
                    t.attentionNanos() / 1e6, t.runs()));
        }
        return new BenchSession(here(List.of(), steps, List.of()));
    }

    /** Times of {@code model}'s attention calls on real activations. */
    public static BenchSession calls(String model, List<PipelineBench.AttentionTime> times) {
        List<BenchmarkResults.CallBench> calls = new ArrayList<>();
        for (PipelineBench.AttentionTime t : times) {
            Map<String, Double> ms = new LinkedHashMap<>();
            t.medianNanos().forEach((backend, nanos) -> ms.put(backend, nanos / 1e6));
            var s = t.shape();
            calls.add(new BenchmarkResults.CallBench(model, t.index(), s.batch() + "," + s.qHeads() + "/" + s.kvHeads()
                    + "," + s.qLen() + "," + s.kvLen() + "," + s.headDim(), ms));
        }
        return new BenchSession(here(List.of(), List.of(), calls));
    }

    /**
     * Runs the CPU attention microbenchmark over {@code backends} (CPU names; {@value AttentionChoice#ONNX_RUNTIME}
     * has no attention of its own to time and is left out, said), printing a line per point.
     */
    public static BenchSession kernels(List<String> backends, int warmup, int runs, PrintWriter out,
                                       CancellationToken cancel) {
        List<String> timed = new ArrayList<>();
        for (String name : backends) {
            if (name.trim().equals(AttentionChoice.ONNX_RUNTIME)) {
                out.println("note: " + AttentionChoice.ONNX_RUNTIME + " left out: its attention runs only inside a"
                        + " model graph (time it with --what step)");
            } else if (BackendCatalog.standard().require(name.trim()).isGpu()) {
                throw new IllegalArgumentException("--what kernels times CPU backends; '" + name.trim() + "' is a GPU"
                        + " backend, whose kernels the GPU harness (gpu-bench) times");
            } else {
                timed.add(name.trim());
            }
        }
        CpuAttentionBenchmark.Plan defaults = CpuAttentionBenchmark.Plan.defaults();
        CpuAttentionBenchmark.Plan plan = new CpuAttentionBenchmark.Plan(timed, defaults.headDims(),
                defaults.seqLens(), defaults.causal(), defaults.batch(), defaults.heads(), warmup, runs);
        out.printf(Locale.ROOT, "attention microbenchmark on %s: B=%d, H=%d, fp32 inputs, median of %d after %d"
                + " warm-up%n", CpuAttentionBenchmark.cpuName(), plan.batch(), plan.heads(), runs, warmup);
        List<BenchRecord> records = CpuAttentionBenchmark.run(plan, (done, total, r) -> {
            out.printf(Locale.ROOT, "[%d/%d] %-22s D=%-3d N=%-5d %-10s %10.3f ms %9.4f TOPS%n", done, total,
                    r.backend(), r.headDim(), r.seqLen(), r.causal() ? "causal" : "non-causal", r.medianMs(), r.tops());
            out.flush();
        }, cancel);
        BenchmarkResults h100 = ReferenceResults.h100();
        out.printf(Locale.ROOT, "for reference, %s (committed results, %s): up to %.0f TOPS%n", h100.device(),
                h100.date(), TopsSeries.of(h100.kernels(), 128, false).maxTops());
        return new BenchSession(here(records, List.of(), List.of()));
    }

    private static BenchmarkResults here(List<BenchRecord> kernels, List<BenchmarkResults.StepBench> steps,
                                         List<BenchmarkResults.CallBench> calls) {
        String device = CpuAttentionBenchmark.cpuName();
        return new BenchmarkResults(device, DevicePeak.of(device).orElse(null),
                LocalDate.now(ZoneOffset.UTC).toString(), kernels, steps, calls);
    }
}
