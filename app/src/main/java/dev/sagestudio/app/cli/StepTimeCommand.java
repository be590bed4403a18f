package dev.sagestudio.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.app.bench.CpuAttentionBenchmark;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.GraphRewrites;
import dev.sagestudio.models.runtime.AttentionSteps;
import dev.sagestudio.models.runtime.ExecutionProvider;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.OrtProfileSummary;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OutputComparison;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RandomInputs;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.SwitchableAttentionSteps;
import dev.sagestudio.models.runtime.WholeModel;
import dev.sagestudio.models.runtime.device.CapturedSteps;
import dev.sagestudio.models.runtime.device.DeviceMemoryPeak;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code step-time <model.onnx>}: the time of one call of a graph (a denoiser step) per backend, with
 * attention's share and the device memory it took — for graphs at real sizes, where run-onnx's
 * side-by-side comparison would hold two copies of the model.
 */
@Command(name = "step-time", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Times one call of an ONNX graph (e.g. a denoiser step) once per backend, one after the other, each in"
                    + " its own sessions: 'onnxruntime' runs the whole graph in ONNX Runtime, any other backend runs"
                    + " the graph cut at its attention with that backend. Reports the median call time (inputs"
                    + " copied in and outputs out included), the ONNX Runtime segments' and attention's parts of it,"
                    + " and, with --ep cuda, the peak device memory in use above what was in use before the backend's"
                    + " sessions opened. On the device path the stream is synchronized after each attention call, so"
                    + " attention's part is the kernels' run time. Outputs are compared with the first backend's.",
            "Inputs are generated: floating-point inputs seeded standard normal, integer inputs zeros.",
            "Exit status: 0 every backend ran, 1 a backend failed (the others still run), 2 bad input."})
public final class StepTimeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file.")
    Path model;

    @Option(names = "--backends", paramLabel = "NAME", split = ",", description = "Backends, comma-separated, in"
            + " order: onnxruntime, a host backend (--ep cpu) or a GPU kernel (--ep cuda) (default: onnxruntime and"
            + " cpu-reference with --ep cpu; onnxruntime, flash-fp16, sage-int8-fp16 with --ep cuda).")
    List<String> backends;

    @Option(names = "--ep", paramLabel = "PROVIDER", description = "cpu or cuda (default: ${DEFAULT-VALUE}).")
    String ep = "cpu";

    @Option(names = "--warmup", paramLabel = "N", description = "Unmeasured calls first (default: ${DEFAULT-VALUE}); the"
            + " first GPU backend makes " + FIRST_BACKEND_EXTRA_WARMUP + " more, so that it does not pay for the JIT"
            + " warming the host side for the backends after it.")
    int warmup = 1;

    @Option(names = "--runs", paramLabel = "N",
            description = "Measured calls; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--seed", description = "Seed of the generated inputs (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--threads",
            description = "ONNX Runtime intra-op threads, 0 for its default (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--dim", paramLabel = "NAME=VALUE",
            description = "Value of a symbolic input dimension when inputs are generated (repeatable; others are 1).")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--shrink-arenas", description = "ONNX Runtime hands memory its arenas hold for no live tensor"
            + " back after every run (each segment is a session with its own arena, which otherwise keeps the most that"
            + " segment ever needed): less memory, more allocations per step.")
    boolean shrinkArenas;

    @Option(names = "--arenas", paramLabel = "shared|per-session", description = "How the segments' ONNX Runtime"
            + " sessions get memory: from ONE arena registered in ONNX Runtime's environment (session.use_env_allocators),"
            + " so they reuse one another's freed memory as ONNX Runtime alone does in its one session, or from an arena"
            + " each (ONNX Runtime's default). Default: as the app runs them, shared on the device path (--ep cuda),"
            + " per-session on the CPU.")
    String arenas;

    @Option(names = "--json", paramLabel = "FILE", description = "Also save the results as JSON.")
    Path json;

    @Option(names = "--pipelined", description = "GPU backends: measure the step as the app runs it, every segment"
            + " and attention call queued on the stream without waiting for it (ONNX Runtime's"
            + " disable_synchronize_execution_providers), so the CPU prepares the next call while the GPU computes."
            + " The step time is then the only figure: ONNX Runtime's and attention's parts are not separable.")
    boolean pipelined;

    @Option(names = "--cuda-graph", description = "With --pipelined: after the warm-up, record the GPU backends' step"
            + " (the longest run of steps whose ONNX Runtime segments copy nothing through the host; those that do, e.g."
            + " with an operator ONNX Runtime runs on the CPU, cannot be recorded and run around it) as one CUDA graph"
            + " and time its launches, so the host issues one launch per step instead of every segment and attention"
            + " call. The app's sample-resident loop records its steps this way, with"
            + " guidance and the scheduler's step in the same graph.")
    boolean cudaGraph;

    @Option(names = "--rewrite-whole-graph", description = "Give 'onnxruntime' (ONNX Runtime alone) the graph with the"
            + " rewrites SageStudio applies before cutting it (slow ScatterNDs as Concat + Gather, nearest-neighbour"
            + " Resize as Concat + DepthToSpace), instead of the"
            + " graph as exported: what ONNX Runtime alone gains from them.")
    boolean rewriteWholeGraph;

    @Option(names = "--ort-profile", paramLabel = "DIR", description = "Also record ONNX Runtime's own profile of every"
            + " session (each node's kernel time and execution provider) under DIR/<backend>, and print where ONNX"
            + " Runtime's time goes per operator type. The GPU backends share their sessions: their profile is"
            + " DIR/device-path, over all of their runs.")
    Path ortProfile;

    /** Whether the segments' sessions share one arena: --arenas, or as the app does on the chosen execution provider. */
    private boolean sharedArena;

    /** What the backends ran on, for the JSON: the GPU's name with --ep cuda, else the CPU's. */
    private String device;

    /**
     * One backend's figures; times in milliseconds, memory in bytes (null where not measured); {@code
     * attentionTokens} the longest query sequence of the attention calls our backend ran (null for ONNX Runtime alone);
     * {@code queuedMs} (pipelined rows only) the host's time to queue the step's segments and attention calls: close to
     * {@code stepMs}, the host is what limits the step; well below, the GPU is.
     */
    public record Row(String backend, String provider, Double stepMs, Double minMs, Double maxMs, Double ortMs,
                      Double attentionMs, Double attentionShare, Integer attentionCalls, Integer attentionTokens,
                      Double queuedMs,
                      List<String> fallbacks,
                      List<String> nonFinite, Long peakDeviceBytes, Long sharedArenaPeakBytes, Double cosineVsFirst,
                      Double relL1VsFirst, String error) {
    }

    private record Timed(List<RunResult> runs, Long peakDeviceBytes, List<String> fallbacks, List<String> nonFinite,
                         String provider, Long sharedArenaPeakBytes) {
    }

    /**
     * The most the segments' shared arena held at once (ONNX Runtime's MaxInUse), null without a shared arena or where
     * ONNX Runtime gives no figure (said on stderr: the step's timing stands without it).
     */
    private Long sharedArenaPeak(PartitionedModel partitioned) {
        try {
            return partitioned.sharedArenaStats().map(stats -> Long.parseLong(stats.get("MaxInUse"))).orElse(null);
        } catch (RuntimeException e) {
            spec.commandLine().getErr().println("step-time: no figures for the shared arena: " + e.getMessage());
            return null;
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean cuda = RunOnnxCommand.isCuda(ep, spec);
        if (cudaGraph && !pipelined) {
            throw new ParameterException(spec.commandLine(), "--cuda-graph records queued runs: add --pipelined");
        }
        if (pipelined && !cuda) {
            throw new ParameterException(spec.commandLine(), "--pipelined is for the GPU backends' device path: add --ep cuda");
        }
        if (arenas != null && !arenas.equals("shared") && !arenas.equals("per-session")) {
            throw new ParameterException(spec.commandLine(), "--arenas is 'shared' or 'per-session', not '" + arenas + "'");
        }
        sharedArena = arenas == null ? cuda : arenas.equals("shared");
        if (runs < 1 || warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1 and --warmup at least 0");
        }
        List<String> names = backends != null ? backends : cuda
                ? List.of(BackendCatalog.ONNX_RUNTIME, "flash-fp16", "sage-int8-fp16")
                : List.of(BackendCatalog.ONNX_RUNTIME, "cpu-reference");
        BackendCatalog catalog = BackendCatalog.standard();
        for (String name : names) {
            BackendDescriptor backend = catalog.find(name).orElseThrow(() -> new ParameterException(spec.commandLine(),
                    "unknown backend '" + name + "'; backends: onnxruntime, " + catalog.substituteCpuNamesSummary()
                            + ", " + catalog.gpuNames()));
            if (!backend.runsInOnnxRuntime() && backend.isGpu() != cuda) {
                throw new ParameterException(spec.commandLine(), "'" + name + "' runs "
                        + (backend.isGpu() ? "on the device path: add --ep cuda" : "on the host: use --ep cpu"));
            }
        }
        device = cuda ? GpuStatus.probe().devices().stream().findFirst().map(DeviceInfo::name)
                .orElse("a GPU whose name the driver did not give") : CpuAttentionBenchmark.cpuName();
        OnnxModel onnx = OnnxModel.load(model);
        PartitionPlan plan = GraphPartitioner.partition(onnx);
        Map<String, HostArray> inputs = RandomInputs.forModel(onnx, plan.graphInputs(), dims, seed);
        out.println("model: " + model);
        out.println("ONNX Runtime segments: " + (sharedArena ? "one arena shared by all sessions"
                : "an arena per session"));
        out.print(plan.describe());
        inputs.forEach((name, array) -> out.println("input " + name + ": " + array.describe()));
        out.flush();

        List<Row> rows = new ArrayList<>();
        Map<String, HostArray> firstOutputs = null;
        boolean jsonFailed = false;
        try (SharedDeviceSessions shared = new SharedDeviceSessions()) {
            for (String name : names) {
                if (!name.equals(BackendCatalog.ONNX_RUNTIME)) {
                    plan.noAttentionWarning(name).ifPresent(err::println);
                }
                Instant started = Instant.now();
                try {
                    Timed timed = time(name, catalog.require(name), cuda, onnx, plan, inputs, shared);
                    Map<String, HostArray> outputs = timed.runs().get(timed.runs().size() - 1).outputs();
                    Double cosine = null;
                    Double relL1 = null;
                    if (firstOutputs == null) {
                        firstOutputs = outputs;
                    } else {
                        for (AccuracyMetrics m : OutputComparison.compare(firstOutputs, outputs).values()) {
                            cosine = cosine == null ? m.cosineSimilarity() : Math.min(cosine, m.cosineSimilarity());
                            relL1 = relL1 == null ? m.relativeL1() : Math.max(relL1, m.relativeL1());
                        }
                    }
                    Row row = row(name, timed, cosine, relL1, pipelined && cuda, cudaGraph);
                    rows.add(row);
                    out.printf(Locale.ROOT, "%s: median %.1f ms over %d call(s) (%.0f s with loading)%n", name,
                            row.stepMs(), runs, Duration.between(started, Instant.now()).toMillis() / 1e3);
                } catch (RuntimeException e) {
                    String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
                    err.println("step-time " + name + ": " + reason);
                    rows.add(new Row(name, null, null, null, null, null, null, null, null, null, null, List.of(), List.of(),
                            null, null, null, null, reason));
                }
                out.flush();
                err.flush();
                // After each backend: a run stopped from outside keeps what was measured.
                if (json != null && !writeJson(rows, inputs, err)) {
                    jsonFailed = true;
                }
            }
        }
        printTable(out, rows, names.get(0));
        printProfiles(out, err);
        if (jsonFailed) {
            return 1;
        }
        return rows.stream().anyMatch(r -> r.error() != null) ? 1 : 0;
    }

    private boolean writeJson(List<Row> rows, Map<String, HostArray> inputs, PrintWriter err) {
        try {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("model", model.toString());
            document.put("device", device);
            document.put("inputs", inputs.entrySet().stream().collect(
                    LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue().describe()), Map::putAll));
            document.put("warmup", warmup);
            document.put("runs", runs);
            document.put("shrinkArenas", shrinkArenas);
            document.put("sharedArena", sharedArena);
            document.put("rewriteWholeGraph", rewriteWholeGraph);
            document.put("pipelined", pipelined);
            document.put("cudaGraph", cudaGraph);
            document.put("rows", rows);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), document);
            return true;
        } catch (IOException e) {
            err.println("step-time: cannot write " + json + ": " + e.getMessage());
            return false;
        }
    }

    private Timed time(String name, BackendDescriptor backend, boolean cuda, OnnxModel onnx, PartitionPlan plan,
                       Map<String, HostArray> inputs, SharedDeviceSessions shared) {
        if (backend.runsInOnnxRuntime()) {
            shared.close(); // ONNX Runtime alone gets the device to itself
            if (!cuda) {
                try (OrtRuntime runtime = profiled(configured(OrtRuntime.cpu(threads)), name);
                     WholeModel whole = WholeModel.open(wholeGraph(onnx), runtime)) {
                    return new Timed(repeat(whole::run, inputs), null, List.of(), List.of(),
                            runtime.provider().toString(), null);
                }
            }
            try (DeviceMemoryPeak memory = DeviceMemoryPeak.start(0, Duration.ofMillis(2));
                 OrtRuntime runtime = profiled(configured(OrtRuntime.cudaOrCpu(0, threads)), name)) {
                if (runtime.provider() != ExecutionProvider.CUDA) {
                    throw new IllegalStateException("ONNX Runtime's CUDA EP cannot start: "
                            + runtime.fallbackReason().orElse("(no reason given)"));
                }
                try (WholeModel whole = WholeModel.open(wholeGraph(onnx), runtime)) {
                    List<RunResult> results = repeat(whole::run, inputs);
                    return new Timed(results, memory.peakAboveStart(), List.of(), List.of(),
                            runtime.provider().toString(), null);
                }
            }
        }
        if (!cuda) {
            try (OrtRuntime runtime = profiled(configuredForSegments(OrtRuntime.cpu(threads)), name);
                 PartitionedModel partitioned = new PartitionedModel(plan, backend.createCpu(), runtime)) {
                return new Timed(repeat(partitioned::run, inputs), null, partitioned.attention().fallbacks(), List.of(),
                        runtime.provider().toString(), sharedArenaPeak(partitioned));
            }
        }
        boolean firstOnTheseSessions = shared.partitioned == null;
        PartitionedModel partitioned = shared.use(backend, plan, spec.commandLine().getErr());
        List<RunResult> results = cudaGraph
                ? recorded(partitioned, inputs, shared, firstOnTheseSessions ? FIRST_BACKEND_EXTRA_WARMUP : 0)
                : repeat(partitioned::run, inputs, firstOnTheseSessions ? FIRST_BACKEND_EXTRA_WARMUP : 0);
        printMemoryBreakdown(backend.name(), shared, spec.commandLine().getErr());
        return new Timed(results, shared.memory.peakAboveStart(), partitioned.attention().fallbacks(),
                List.copyOf(shared.nonFinite),
                shared.device.runtime().provider().toString(), sharedArenaPeak(partitioned));
    }

    /**
     * One device path and one set of ONNX Runtime sessions for every GPU backend of the run, the kernel switched
     * between them: a model at real size takes about a minute to open. Its memory peak is counted from before the
     * sessions opened, over every backend run on them so far.
     */
    private final class SharedDeviceSessions implements AutoCloseable {
        DeviceMemoryPeak memory;
        DeviceOnnxPath device;
        SwitchableAttentionSteps steps;
        PartitionedModel partitioned;
        /** Attention outputs with NaN/Inf in the current backend's runs (a re-run at full precision costs time). */
        final List<String> nonFinite = new ArrayList<>();

        PartitionedModel use(BackendDescriptor backend, PartitionPlan plan, PrintWriter err) {
            if (partitioned == null) {
                try {
                    memory = DeviceMemoryPeak.start(0, Duration.ofMillis(2));
                    device = DeviceOnnxPath.open(0, backend, threads, sharedArena
                            ? DeviceOnnxPath.SegmentArenas.SHARED : DeviceOnnxPath.SegmentArenas.PER_SESSION);
                    profiled(configuredForSegments(device.runtime()), DEVICE_PATH_PROFILE);
                    if (pipelined) {
                        device.queueRunsWithoutWaiting();
                    }
                    err.println("device path: " + device.describe());
                    steps = new SwitchableAttentionSteps(stepsFor(plan, backend));
                    partitioned = device.partitioned(plan, steps);
                    partitioned.onNonFinite((bad, reRunWith, stillBad) -> nonFinite.add(bad.node() + " ("
                            + bad.backend() + ", " + bad.count() + " values)" + reRunWith.map(k -> ": re-run with " + k
                            + (stillBad.isPresent() ? ", still not finite" : ", finite")).orElse("")));
                } catch (RuntimeException e) {
                    close();
                    throw e;
                }
            }
            steps.use(stepsFor(plan, backend));
            nonFinite.clear();
            return partitioned;
        }

        private AttentionSteps stepsFor(PartitionPlan plan, BackendDescriptor backend) {
            return pipelined ? device.steps(plan, backend) : device.timingSteps(plan, backend);
        }

        @Override
        public void close() {
            try (DeviceMemoryPeak m = memory; DeviceOnnxPath d = device; PartitionedModel p = partitioned) {
                partitioned = null;
                device = null;
                memory = null;
            }
        }
    }

    /**
     * --cuda-graph: the warm-up calls as usual, then the step recorded as a CUDA graph from its first recordable step
     * (after the last segment that copies through the host; said on stderr) and the graph's runs timed.
     */
    private List<RunResult> recorded(PartitionedModel partitioned, Map<String, HostArray> inputs,
                                     SharedDeviceSessions shared, int extraWarmup) {
        PrintWriter err = spec.commandLine().getErr();
        for (int i = 0; i < warmup + extraWarmup; i++) {
            long start = System.nanoTime();
            partitioned.run(inputs);
            err.printf(Locale.ROOT, "  warm-up call %d (not recorded): %.1f ms%n", i + 1,
                    (System.nanoTime() - start) / 1e6);
        }
        partitioned.segmentsCopyingThroughTheHost().forEach(s -> err.println("  copies through the host: " + s));
        try (CapturedSteps graph = shared.device.record(partitioned, inputs, partitioned.recordableSteps())) {
            err.printf(Locale.ROOT, "  recorded %s of %d as one CUDA graph of %d operations%n",
                    graph.recorded().describe(), partitioned.stepCount(), graph.recordedOperations());
            List<RunResult> results = repeat(run -> {
                RunResult result = graph.run(run);
                graph.lastNonFinite().forEach(bad -> shared.nonFinite.add(bad.node() + " (" + bad.backend() + ", "
                        + bad.count() + " values; recorded, not re-run)"));
                return result;
            }, inputs, 0);
            return results;
        }
    }

    /**
     * Where the device path's memory is after a backend's runs (stderr): the whole GPU's use above the start, what the
     * shared arena has reserved, our own device buffers, and the rest — the sessions' weights and whatever ONNX
     * Runtime's CUDA EP keeps per session outside the arena (cuBLAS/cuDNN handles and workspaces).
     */
    private static void printMemoryBreakdown(String backend, SharedDeviceSessions shared, PrintWriter err) {
        PartitionedModel partitioned = shared.partitioned;
        double gib = 1L << 30;
        long now = shared.memory.inUseAboveStart();
        long ours = shared.device.liveDeviceBytes();
        Long arena = null;
        try {
            arena = partitioned.sharedArenaStats().map(s -> Long.parseLong(s.get("TotalAllocated"))).orElse(null);
        } catch (RuntimeException e) {
            err.println("step-time: no figures for the shared arena: " + e.getMessage());
        }
        long rest = now - ours - (arena == null ? 0 : arena);
        err.printf(Locale.ROOT, "device memory after %s: %.2f GiB in use above the start (peak %.2f GiB): shared arena"
                        + " reserved %s, our buffers %.2f GiB (%.2f GiB of them idle), the rest %.2f GiB over %d ONNX"
                        + " Runtime session(s) (%.3f GiB each: weights, per-session CUDA EP state)%n", backend, now / gib,
                shared.memory.peakAboveStart() / gib, arena == null ? "-" : String.format(Locale.ROOT, "%.2f GiB",
                        arena / gib), ours / gib, shared.device.idleDeviceBytes() / gib, rest / gib, partitioned.openSessionCount(),
                rest / gib / Math.max(1, partitioned.openSessionCount()));
    }

    /** The graph ONNX Runtime alone runs: as exported, or with --rewrite-whole-graph as the partitioner rewrites it. */
    private OnnxModel wholeGraph(OnnxModel onnx) {
        if (!rewriteWholeGraph) {
            return onnx;
        }
        GraphRewrites.Result rewrites = GraphRewrites.apply(onnx);
        rewrites.done().forEach(d -> spec.commandLine().getOut().println("onnxruntime: graph rewrite: " + d));
        return rewrites.model();
    }

    /** The folder under --ort-profile of the GPU backends' shared sessions. */
    static final String DEVICE_PATH_PROFILE = "device-path";

    private OrtRuntime profiled(OrtRuntime runtime, String folder) {
        return ortProfile == null ? runtime : runtime.profileSessionsIn(ortProfile.resolve(folder));
    }

    /** Each profile folder's summary, once its sessions are closed (ONNX Runtime writes a profile on closing). */
    private void printProfiles(PrintWriter out, PrintWriter err) {
        if (ortProfile == null || !Files.isDirectory(ortProfile)) {
            return;
        }
        try (Stream<Path> folders = Files.list(ortProfile)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                out.println(folder.getFileName() + ": " + OrtProfileSummary.of(folder).describe(15));
            }
        } catch (IOException | RuntimeException e) {
            err.println("step-time: cannot summarise the ONNX Runtime profiles in " + ortProfile + ": " + e.getMessage());
        }
        out.flush();
    }

    private OrtRuntime configured(OrtRuntime runtime) {
        return shrinkArenas ? runtime.shrinkArenasAfterEachRun() : runtime;
    }

    /**
     * As {@link #configured}, and sharing one arena if so decided (the device path arranges its arena when it opens):
     * ONNX Runtime alone has only one session to begin with.
     */
    private OrtRuntime configuredForSegments(OrtRuntime runtime) {
        configured(runtime);
        return sharedArena ? runtime.shareOneArena() : runtime; // once per runtime: shareOneArena keeps the first
    }

    /**
     * Unmeasured calls the first GPU backend makes on the shared device sessions beyond --warmup: until the JIT has
     * compiled the host side, the first backend's calls keep getting faster (H100, 2026-12-06: PixArt-Σ's flash-fp16
     * step 175, 97, 93, 93, 89 ms after one warm-up), while the backends after it find it compiled, which biased the
     * speed-ups toward them.
     */
    static final int FIRST_BACKEND_EXTRA_WARMUP = 3;

    private List<RunResult> repeat(Function<Map<String, HostArray>, RunResult> call, Map<String, HostArray> inputs) {
        return repeat(call, inputs, 0);
    }

    /**
     * The warm-up calls ({@code extraWarmup} more than --warmup), then the measured ones. Each call's time goes to
     * stderr as it ends (the first call also creates the sessions), so a run stopped from outside still shows how far
     * it got.
     */
    private List<RunResult> repeat(Function<Map<String, HostArray>, RunResult> call, Map<String, HostArray> inputs,
                                   int extraWarmup) {
        PrintWriter err = spec.commandLine().getErr();
        List<RunResult> results = new ArrayList<>();
        int warmup = this.warmup + extraWarmup;
        for (int i = 0; i < warmup + runs; i++) {
            long start = System.nanoTime();
            RunResult result = call.apply(inputs);
            boolean measured = i >= warmup;
            err.printf(Locale.ROOT, "  %s call %d: %.1f ms%s%n", measured ? "measured" : "warm-up",
                    measured ? i - warmup + 1 : i + 1, (System.nanoTime() - start) / 1e6,
                    i == 0 ? " (sessions created on first use)" : "");
            err.flush();
            if (measured) {
                results.add(result);
            }
        }
        return results;
    }

    private static Row row(String name, Timed timed, Double cosine, Double relL1, boolean pipelined,
                           boolean recorded) {
        List<RunResult> r = timed.runs();
        double step = RunOnnxCommand.median(r, RunResult::totalNanos);
        // Pipelined, a segment's or attention call's own clock says when it was queued, not what it cost.
        boolean whole = name.equals(BackendCatalog.ONNX_RUNTIME) || pipelined;
        Double attention = whole ? null : RunOnnxCommand.median(r, RunResult::attentionNanos);
        return new Row(name, timed.provider(), step,
                r.stream().mapToLong(RunResult::totalNanos).min().orElseThrow() / 1e6,
                r.stream().mapToLong(RunResult::totalNanos).max().orElseThrow() / 1e6,
                whole ? null : RunOnnxCommand.median(r, RunResult::ortNanos), attention,
                whole ? null : attention / step,
                whole ? null : r.get(r.size() - 1).attentionCalls().size(),
                r.get(r.size() - 1).attentionCalls().stream().mapToInt(c -> c.shape().qLen()).boxed()
                        .max(Integer::compare).orElse(null),
                pipelined && !recorded && !name.equals(BackendCatalog.ONNX_RUNTIME)
                        ? RunOnnxCommand.median(r, run -> run.ortNanos() + run.attentionNanos()) : null,
                timed.fallbacks(), timed.nonFinite(),
                timed.peakDeviceBytes(), timed.sharedArenaPeakBytes(), cosine, relL1, null);
    }

    private static void printTable(PrintWriter out, List<Row> rows, String first) {
        out.println();
        out.printf(Locale.ROOT, "%-18s %11s %11s %11s %11s %7s %10s %12s %12s%n", "backend", "step ms", "ORT ms",
                "attn ms", "attn share", "calls", "peak GiB", "cos vs 1st", "speed-up");
        Double reference = rows.stream().filter(r -> r.backend().equals(first) && r.error() == null)
                .map(Row::stepMs).findFirst().orElse(null);
        for (Row r : rows) {
            if (r.error() != null) {
                out.printf(Locale.ROOT, "%-18s failed: %s%n", r.backend(), r.error());
                continue;
            }
            out.printf(Locale.ROOT, "%-18s %11.2f %11s %11s %11s %7s %10s %12s %12s%n", r.backend(), r.stepMs(),
                    format(r.ortMs(), "%.2f"), format(r.attentionMs(), "%.2f"),
                    r.attentionShare() == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.attentionShare()),
                    r.attentionCalls() == null ? "-" : r.attentionCalls().toString(),
                    r.peakDeviceBytes() == null ? "-"
                            : String.format(Locale.ROOT, "%.2f", r.peakDeviceBytes() / (double) (1L << 30)),
                    format(r.cosineVsFirst(), "%.6f"),
                    reference == null ? "-" : String.format(Locale.ROOT, "%.2fx", reference / r.stepMs()));
            if (r.sharedArenaPeakBytes() != null) {
                out.printf(Locale.ROOT, "    shared arena: at most %.3f GiB in use (ONNX Runtime's MaxInUse since it"
                        + " was created)%n", r.sharedArenaPeakBytes() / (double) (1L << 30));
            }
            if (r.queuedMs() != null) {
                out.printf(Locale.ROOT, "    pipelined: the host queued the step in %.2f ms (ONNX Runtime's runs and the"
                        + " attention launches); the GPU %s%n", r.queuedMs(), r.queuedMs() > 0.9 * r.stepMs()
                        ? "waited for the host" : "was the limit");
            }
            r.fallbacks().forEach(f -> out.println("    fallback: " + f));
            r.nonFinite().forEach(f -> out.println("    not finite (the run was repeated where a kernel could): " + f));
        }
        out.println("speed-up: the first backend's step time divided by this one's; attention share: attention's part"
                + " of the step");
        out.flush();
    }

    private static String format(Double value, String pattern) {
        return value == null ? "-" : String.format(Locale.ROOT, pattern, value);
    }
}
