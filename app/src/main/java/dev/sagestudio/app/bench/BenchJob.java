package dev.sagestudio.app.bench;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.PipelineBench;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The benchmark view's work: the attention microbenchmark on this machine and, when a model is given, the
 * end-to-end denoiser step time per backend. Blocking: call it off the UI thread.
 *
 * @param plan the microbenchmark's points
 * @param model the model bundle for the step benchmark, or null for none
 * @param stepBackends the backends whose step time is measured
 */
public record BenchJob(CpuAttentionBenchmark.Plan plan, Path model, List<String> stepBackends, int threads) {

    /** Told after each measured point, with a line saying what it was. */
    @FunctionalInterface
    public interface Progress {
        void measured(int done, int total, String what);
    }

    public BenchmarkResults run(Progress progress, BooleanSupplier cancelled) throws IOException {
        CancellationToken cancel = new CancellationToken();
        int total = plan.points() + (model == null ? 0 : stepBackends.size());
        var kernels = CpuAttentionBenchmark.run(plan, (done, points, r) -> {
            if (cancelled.getAsBoolean()) {
                cancel.cancel();
            }
            progress.measured(done, total, String.format(java.util.Locale.ROOT, "%s D=%d N=%d %s: %.4f TOPS",
                    r.backend(), r.headDim(), r.seqLen(), r.causal() ? "causal" : "non-causal", r.tops()));
        }, cancel);
        List<BenchmarkResults.StepBench> steps = new ArrayList<>();
        if (model != null) {
            ModelBundle bundle = dev.sagestudio.app.compare.Bundles.load(model);
            for (String name : stepBackends) {
                if (cancelled.getAsBoolean()) {
                    throw new dev.sagestudio.models.pipeline.GenerationCancelledException(plan.points()
                            + steps.size(), total);
                }
                try (AttentionChoice choice = AttentionResolver.resolve(name, false, threads)) {
                    PipelineBench.StepTime t = PipelineBench.step(bundle, List.of(choice), OrtRuntime.cpu(threads),
                            GenerationRequest.of("a red heart", 0), 1, 3).get(0);
                    steps.add(new BenchmarkResults.StepBench(bundle.spec().name(), name, t.totalNanos() / 1e6,
                            t.ortNanos() / 1e6, t.attentionNanos() / 1e6, t.runs()));
                    progress.measured(plan.points() + steps.size(), total, String.format(java.util.Locale.ROOT,
                            "%s step of %s: %.1f ms", name, bundle.spec().name(), t.totalNanos() / 1e6));
                }
            }
        }
        String device = CpuAttentionBenchmark.cpuName();
        return new BenchmarkResults(device, DevicePeak.of(device).orElse(null),
                LocalDate.now(ZoneOffset.UTC).toString(), kernels, steps, List.of());
    }
}
