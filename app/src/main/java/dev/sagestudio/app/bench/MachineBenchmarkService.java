package dev.sagestudio.app.bench;

import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.attention.bench.GpuBenchmark;
import dev.sagestudio.attention.catalog.Availability;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendProbe;
import dev.sagestudio.models.pipeline.CancellationToken;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The {@link BenchmarkService} of a machine as a {@link BackendProbe} describes it: where a GPU backend runs, the GPU
 * harness over those backends with the {@code gpu-bench} command's default points; where none does, the reason from
 * the backend catalog's availability and the CPU microbenchmark instead.
 */
public final class MachineBenchmarkService implements BenchmarkService {

    private final BenchPlan plan;
    private final CpuAttentionBenchmark.Plan cpuPoints;
    private final Function<List<String>, GpuBenchmark.Settings> gpuPoints;

    /**
     * @param probe the machine
     * @param modelBackends the backends a model is generated with
     * @param cpuPoints the CPU microbenchmark's points (its backends are timed when no GPU backend runs)
     * @param gpuPoints the harness's points for the GPU backends that run
     */
    public MachineBenchmarkService(BackendProbe probe, List<String> modelBackends, CpuAttentionBenchmark.Plan cpuPoints,
                                   Function<List<String>, GpuBenchmark.Settings> gpuPoints) {
        this.cpuPoints = cpuPoints;
        this.gpuPoints = gpuPoints;
        this.plan = plan(probe, modelBackends, cpuPoints);
    }

    /** This machine, with the default points and every backend that runs here for the model. */
    public static MachineBenchmarkService here() {
        return new MachineBenchmarkService(BackendProbe.here(), BackendsHere.all(), CpuAttentionBenchmark.Plan.defaults(),
                GpuHarness::defaults);
    }

    static BenchPlan plan(BackendProbe probe, List<String> modelBackends, CpuAttentionBenchmark.Plan cpuPoints) {
        List<Availability> gpu = BackendCatalog.standard().availability(probe).stream()
                .filter(a -> a.backend().isGpu()).toList();
        List<String> running = gpu.stream().filter(Availability::runsHere).map(a -> a.backend().name()).toList();
        List<String> refused = gpu.stream().flatMap(a -> a.whyNot().stream()).distinct().toList();
        if (running.isEmpty()) {
            return new BenchPlan(CpuAttentionBenchmark.cpuName(), false, cpuPoints.backends(), modelBackends,
                    Optional.of(refused.isEmpty() ? "this build has no GPU backends" : String.join("; ", refused)),
                    List.of());
        }
        return new BenchPlan(probe.device().orElseThrow().name(), true, running, modelBackends, Optional.empty(),
                refused);
    }

    @Override
    public BenchPlan plan() {
        return plan;
    }

    @Override
    public BenchmarkResults run(Request request, Progress progress, BooleanSupplier cancelled) throws IOException {
        // with a model, the kernels fill the first half of the bar and the generations the second
        double kernelShare = request.model() == null ? 1 : 0.5;
        CpuAttentionBenchmark.Progress kernelProgress = (done, total, r) -> progress.report(
                kernelShare * done / total, "[" + done + "/" + total + "] " + GpuHarness.describe(r));
        List<BenchRecord> kernels;
        List<String> notes = new ArrayList<>(plan.notes());
        String device = plan.device();
        if (plan.onGpu()) {
            GpuBenchmark.Result result = GpuHarness.run(gpuPoints.apply(plan.kernelBackends()), kernelProgress,
                    cancelled);
            kernels = result.records();
            notes.addAll(result.skipped());
            device = kernels.isEmpty() ? device : kernels.get(0).gpu();
        } else {
            CancellationToken cancel = new CancellationToken();
            kernels = CpuAttentionBenchmark.run(cpuPoints, (done, total, r) -> {
                if (cancelled.getAsBoolean()) {
                    cancel.cancel();
                }
                kernelProgress.measured(done, total, r);
            }, cancel);
        }
        List<BenchmarkResults.EndToEnd> endToEnd = List.of();
        if (request.model() != null) {
            List<String> backends = plan.modelBackends();
            endToEnd = EndToEndBench.run(request.model(), backends, request.steps(), request.threads(),
                    (backend, step, steps) -> progress.report(kernelShare + (1 - kernelShare)
                            * (backends.indexOf(backend) + step / (double) steps) / backends.size(),
                            backend + ": step " + step + "/" + steps), cancelled);
        }
        return new BenchmarkResults(device, DevicePeak.of(device).orElse(null), LocalDate.now(ZoneOffset.UTC)
                .toString(), kernels, List.of(), List.of(), endToEnd, notes);
    }
}
