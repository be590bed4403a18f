package dev.sagestudio.app.cli;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.OnnxModelException;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.AttentionStepException;
import dev.sagestudio.models.runtime.ExecutionProvider;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.HostAttentionStep;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import dev.sagestudio.models.runtime.OptimizedGraphs;
import dev.sagestudio.models.runtime.OutputComparison;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RandomInputs;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.WholeModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code run-onnx <model.onnx>}: runs a graph twice on the same generated inputs — ONNX Runtime alone,
 * and cut at its attention nodes with a SageStudio backend running attention — and reports how far
 * the outputs differ and where the time went.
 */
@Command(name = "run-onnx", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs any ONNX graph with its attention nodes substituted by a SageStudio backend and compares every"
                    + " output with ONNX Runtime running the whole graph: cosine similarity, relative L1, maximum"
                    + " absolute error, and timing (median of --runs after one warm-up run).",
            "Inputs are generated: floating-point inputs seeded standard normal, integer inputs zeros.",
            "Exit status: 0 done, 1 the model could not be run, 3 an output fell below --min-cosine."})
public final class RunOnnxCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file.")
    Path model;

    @Mixin
    AttentionOptions attention = new AttentionOptions();

    @Option(names = "--ep", paramLabel = "PROVIDER",
            description = "ONNX Runtime execution provider: cpu or cuda (default: ${DEFAULT-VALUE}).")
    String ep = "cpu";

    @Option(names = "--seed", description = "Seed of the generated inputs (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--runs", description = "Timed runs of each path after the warm-up (default: ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads, 0 for its default (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--min-cosine", paramLabel = "C",
            description = "Fail (exit 3) if any output's cosine similarity with ONNX Runtime alone is below C.")
    Double minCosine;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (runs < 1) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1, got " + runs);
        }
        boolean cuda = isCuda(ep, spec);
        try {
            if (attention.isGpu()) {
                if (!cuda) {
                    throw new ParameterException(spec.commandLine(), "GPU backend '" + attention.backend
                            + "' runs on the device path; add --ep cuda");
                }
                return runOnDevice(out, err);
            }
            AttentionBackend chosen = attention.backend(spec);
            try (OrtRuntime runtime = cuda ? OrtRuntime.cudaOrCpu(0, threads) : OrtRuntime.cpu(threads)) {
                runtime.fallbackReason().ifPresent(reason -> err.println("warning: " + reason));
                if (runtime.provider() == ExecutionProvider.CUDA) {
                    err.println("note: ONNX Runtime segments run on the CUDA EP with " + chosen.name() + " on the host,"
                            + " so tensors cross to host memory around every attention step; a GPU backend"
                            + " (--backend flash-fp16, ...) keeps them on the device");
                }
                return run(runtime, chosen.name(), plan -> new PartitionedModel(plan, chosen, runtime), out);
            }
        } catch (OnnxModelException | OrtRuntimeException | AttentionStepException e) {
            err.println("run-onnx " + model + ": " + e.getMessage());
            return 1;
        } catch (dev.sagestudio.attention.UnsupportedAttentionException
                 | dev.sagestudio.attention.gpu.CudaException e) {
            err.println("run-onnx " + model + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * The zero-copy device path with one of our GPU kernels; where it cannot start (no GPU, no kernels,
     * no CUDA EP) the CPU path with the CPU reference, after a warning that says why.
     */
    private int runOnDevice(PrintWriter out, PrintWriter err) {
        DeviceOnnxPath device;
        try {
            device = DeviceOnnxPath.open(0, attention.backend, threads);
        } catch (GpuUnavailableException | OrtRuntimeException e) {
            err.println("warning: " + attention.backend + " on the GPU is not possible here: " + e.getMessage()
                    + "; running ONNX Runtime on the CPU with " + ReferenceAttention.NAME + " instead");
            try (OrtRuntime runtime = OrtRuntime.cpu(threads)) {
                ReferenceAttention reference = new ReferenceAttention();
                return run(runtime, reference.name(), plan -> new PartitionedModel(plan, reference, runtime), out);
            }
        }
        try (device) {
            err.println("device path: " + device.describe());
            Path saved = java.nio.file.Files.createTempDirectory("sagestudio-ort-graphs");
            Path wholeGraph = saved.resolve("whole");
            Path graphs = saved.resolve("segments");
            device.runtime().saveOptimizedModelsIn(wholeGraph);
            int status = run(device.runtime(), attention.backend, plan -> {
                // Opened after the whole-graph baseline, so only the segments' graphs land here.
                device.runtime().saveOptimizedModelsIn(graphs);
                return device.partitioned(plan);
            }, out);
            var wholeCopies = OptimizedGraphs.copiedTensors(wholeGraph);
            var copies = OptimizedGraphs.copies(graphs);
            out.println("  ONNX Runtime host<->device copy nodes: " + copies.size() + " in the "
                    + OptimizedGraphs.graphs(graphs) + " segment graphs, " + wholeCopies.size()
                    + " in ONNX Runtime alone's graph (all saved in " + saved + ")");
            copies.forEach(c -> out.println("    " + c + (wholeCopies.contains(c.tensor())
                    ? " (ONNX Runtime alone copies it too)" : " (not copied by ONNX Runtime alone)")));
            out.flush();
            return status;
        } catch (java.io.IOException e) {
            err.println("run-onnx: cannot create a temporary folder: " + e.getMessage());
            return 1;
        }
    }

    private int run(OrtRuntime runtime, String backendName, Function<PartitionPlan, PartitionedModel> partition,
                    PrintWriter out) {
        OnnxModel onnx = OnnxModel.load(model);
        PartitionPlan plan = GraphPartitioner.partition(onnx);
        out.println("model: " + model);
        out.print(plan.describe());
        for (AttentionNode node : plan.attentionNodes()) {
            if (!node.substituted()) {
                out.println("  kept in ONNX Runtime: " + node.label() + ": " + node.keptReason().get());
            }
        }
        plan.unmatched().forEach(miss -> out.println("  not matched as attention: " + miss.label() + ": "
                + miss.reason()));
        java.util.Optional<String> noAttention = plan.noAttentionWarning(backendName);
        noAttention.ifPresent(w -> spec.commandLine().getErr().println(w));
        List<RunResult> baseline = new ArrayList<>();
        List<RunResult> ours = new ArrayList<>();
        Map<String, HostArray> inputs;
        try (WholeModel whole = WholeModel.open(onnx, runtime);
             PartitionedModel partitioned = partition.apply(plan)) { // after the baseline's session: see runOnDevice
            inputs = RandomInputs.forModel(onnx, plan.graphInputs(), attention.dims, seed);
            for (Map.Entry<String, HostArray> input : inputs.entrySet()) {
                out.println("input " + input.getKey() + ": " + input.getValue().describe());
            }
            whole.run(inputs);
            partitioned.run(inputs);
            for (int i = 0; i < runs; i++) {
                baseline.add(whole.run(inputs));
                ours.add(partitioned.run(inputs));
            }
            for (String fallback : partitioned.attention().fallbacks()) {
                spec.commandLine().getErr().println("fallback: " + fallback);
            }
        }
        RunResult last = ours.get(ours.size() - 1);
        out.println();
        out.println("attention steps with " + backendName + ":");
        for (HostAttentionStep.Call call : last.attentionCalls()) {
            out.printf(Locale.ROOT, "  %s  %s  %.3f ms%n", call.node().label(), call.shape().describe(),
                    call.backendNanos() / 1e6);
        }
        out.println();
        out.printf(Locale.ROOT, "%-28s %-22s %12s %12s %12s %12s%n", "output", "shape", "cosine", "rel L1",
                "max abs", "max |ORT|");
        Map<String, AccuracyMetrics> metrics = OutputComparison.compare(baseline.get(0).outputs(), last.outputs());
        boolean belowThreshold = false;
        for (Map.Entry<String, AccuracyMetrics> entry : metrics.entrySet()) {
            AccuracyMetrics m = entry.getValue();
            double largest = Arrays.stream(baseline.get(0).outputs().get(entry.getKey()).toDoubles())
                    .map(Math::abs).max().orElse(0);
            out.printf(Locale.ROOT, "%-28s %-22s %12.8f %12.3e %12.3e %12.3e%n", entry.getKey(),
                    Arrays.toString(last.outputs().get(entry.getKey()).shape()), m.cosineSimilarity(), m.relativeL1(),
                    m.maxAbsError(), largest);
            if (minCosine != null && !(m.cosineSimilarity() >= minCosine)) {
                belowThreshold = true;
            }
        }
        out.println();
        out.printf(Locale.ROOT, "timing (median of %d runs, %s EP):%n", runs, runtime.provider());
        out.printf(Locale.ROOT, "  ONNX Runtime alone:   %10.3f ms%n", median(baseline, RunResult::totalNanos));
        out.printf(Locale.ROOT, "  partitioned total:    %10.3f ms  (ONNX Runtime segments %.3f ms, attention %.3f ms)%n",
                median(ours, RunResult::totalNanos), median(ours, RunResult::ortNanos),
                median(ours, RunResult::attentionNanos));
        out.println("  copies per run: " + last.transfers());
        out.flush();
        // Repeated last, where a reader of the summary looks: this run did not test the backend.
        noAttention.ifPresent(w -> spec.commandLine().getErr().println(w));
        if (belowThreshold) {
            spec.commandLine().getErr().println("run-onnx: an output's cosine similarity is below " + minCosine);
            return 3;
        }
        return 0;
    }

    /** {@code --ep}: true for cuda, false for cpu, a usage error otherwise. */
    static boolean isCuda(String ep, CommandSpec spec) {
        return switch (ep.toLowerCase(Locale.ROOT)) {
            case "cpu" -> false;
            case "cuda" -> true;
            default -> throw new ParameterException(spec.commandLine(), "--ep must be cpu or cuda, got '" + ep + "'");
        };
    }

    /** The median of {@code value} over {@code results}, nanoseconds to milliseconds. */
    static double median(List<RunResult> results, ToLongFunction<RunResult> value) {
        long[] v = results.stream().mapToLong(value).sorted().toArray();
        double mid = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
        return mid / 1e6;
    }
}
