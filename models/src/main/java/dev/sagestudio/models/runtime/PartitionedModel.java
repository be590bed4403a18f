package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.onnx.AttentionStep;
import dev.sagestudio.models.onnx.OrtSegment;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.Step;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a {@link PartitionPlan}: ONNX Runtime sessions for the segments, an attention backend (or an
 * in-place kernel, see {@link AttentionSteps}) for the attention steps, tensors handed from step to
 * step in a {@link TensorMemory} (ONNX Runtime's host memory, or CUDA memory on the device path) and
 * freed as soon as no later step reads them.
 *
 * <p>A segment whose inputs the file does not type is compiled on first use with the element
 * types of the tensors it receives (and again if they change).
 */
public final class PartitionedModel implements AutoCloseable {
    private final PartitionPlan plan;
    private final AttentionSteps attention;
    private final OrtRuntime runtime;
    private final TensorMemory memory;
    private final Map<Integer, Map<List<Integer>, OrtSessionRunner>> sessions = new HashMap<>();
    /** For each step, the tensors that are read for the last time there. */
    private final List<Set<String>> lastReads = new ArrayList<>();
    /** For each step and the end, the tensors that cross into it ({@link #namesReadFrom}). */
    private final List<Set<String>> crossing = new ArrayList<>();
    private NonFiniteListener nonFiniteListener = NonFiniteListener.NONE;
    /** A run stopped part-way: the output check may hold counts of its calls, to be dropped before the next. */
    private boolean checkMayHoldStaleCounts;

    /**
     * Told of every attention output that held NaN or Inf where the attention steps check their outputs themselves
     * (the device path; {@link AttentionSteps#takeNonFinite()}), after the run has done what it could about it.
     */
    public interface NonFiniteListener {
        NonFiniteListener NONE = (bad, reRunWith, stillBad) -> { };

        /**
         * @param bad       the output as first computed
         * @param reRunWith the full-precision kernel that computed the node again, or empty if it was not re-run
         *                  ({@code bad} came from the full-precision kernel, or there is none)
         * @param stillBad  the re-run's output at that node, if it was not finite either
         */
        void nonFinite(NonFiniteOutput bad, java.util.Optional<String> reRunWith,
                       java.util.Optional<NonFiniteOutput> stillBad);
    }

    /** Attention steps computed by a host backend. */
    public PartitionedModel(PartitionPlan plan, AttentionBackend backend, OrtRuntime runtime) {
        this(plan, AttentionSteps.onHost(Objects.requireNonNull(backend, "backend")), runtime);
    }

    public PartitionedModel(PartitionPlan plan, AttentionSteps attention, OrtRuntime runtime) {
        this(plan, attention, runtime, TensorMemory.host());
    }

    /**
     * Tensors between steps kept in {@code memory}: on the device path, CUDA memory, with the attention
     * steps an {@link InPlaceKernelSteps} over the same memory, so nothing crosses to the host between
     * the model's inputs and its outputs.
     */
    public PartitionedModel(PartitionPlan plan, AttentionSteps attention, OrtRuntime runtime, TensorMemory memory) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.attention = Objects.requireNonNull(attention, "attention");
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        Set<String> seen = new HashSet<>(plan.graphOutputs());
        Set<String> crossingInto = new java.util.LinkedHashSet<>(plan.graphOutputs());
        crossing.add(Set.copyOf(crossingInto));
        List<Step> steps = plan.steps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            Set<String> last = new HashSet<>();
            for (String input : steps.get(i).inputs()) {
                if (seen.add(input)) {
                    last.add(input);
                }
            }
            lastReads.add(0, last);
            // what crosses into step i: what crosses into i + 1 and step i does not make, and what step i reads
            steps.get(i).outputs().forEach(crossingInto::remove);
            crossingInto.addAll(steps.get(i).inputs());
            crossing.add(0, Set.copyOf(crossingInto));
        }
    }

    public PartitionPlan plan() {
        return plan;
    }

    /** Where the tensors between steps live. */
    public TensorMemory memory() {
        return memory;
    }

    public AttentionSteps attention() {
        return attention;
    }

    /** Where non-finite attention outputs found by the attention steps are reported (replaces the previous one). */
    public void onNonFinite(NonFiniteListener listener) {
        this.nonFiniteListener = Objects.requireNonNull(listener, "listener");
    }

    /** Runs the model on {@code inputs} (every graph input, by name). */
    public RunResult run(Map<String, HostArray> inputs) {
        requireInputs(inputs.keySet());
        long start = System.nanoTime();
        Transfers transfers = new Transfers();
        Map<String, OrtTensor> uploaded = new LinkedHashMap<>();
        try {
            for (String name : plan.graphInputs()) {
                uploaded.put(name, memory.upload(inputs.get(name)));
                transfers.upload(inputs.get(name).bytes().length);
            }
            Resident run = executeChecked(uploaded, transfers, start);
            try {
                Map<String, HostArray> outputs = new LinkedHashMap<>();
                for (Map.Entry<String, OrtTensor> output : run.outputs().entrySet()) {
                    HostArray array = memory.download(output.getValue());
                    transfers.download(array.bytes().length);
                    outputs.put(output.getKey(), array);
                }
                RunResult figures = run.figures();
                return new RunResult(outputs, System.nanoTime() - start, figures.ortNanos(),
                        figures.attentionNanos(), figures.attentionCalls(), transfers);
            } finally {
                run.close();
            }
        } finally {
            uploaded.values().forEach(OrtTensor::close);
        }
    }

    /**
     * Outputs left where the run made them (in {@link #memory()}), owned by the caller, with the run's figures (whose
     * {@code outputs} are empty). Closing releases the outputs.
     */
    public record Resident(Map<String, OrtTensor> outputs, RunResult figures) implements AutoCloseable {
        @Override
        public void close() {
            outputs.values().forEach(OrtTensor::close);
        }
    }

    /**
     * Runs the model on tensors already in {@link #memory()} — borrowed, left open — and leaves its outputs there: on
     * the device path nothing crosses to the host (the figures' transfers count only attention fallbacks, if any).
     */
    public Resident runResident(Map<String, OrtTensor> inputs) {
        requireInputs(inputs.keySet());
        return executeChecked(inputs, new Transfers(), System.nanoTime());
    }

    private void requireInputs(Set<String> given) {
        for (String name : plan.graphInputs()) {
            if (!given.contains(name)) {
                throw new IllegalArgumentException("missing model input '" + name + "' (the model takes "
                        + plan.graphInputs() + ")");
            }
        }
    }

    /**
     * Runs the plan; where the attention steps check their outputs, reads the check once afterwards. A node whose
     * output held NaN or Inf and that did not run at full precision is computed again with the full-precision kernel:
     * the whole run is repeated (its inputs are still where they were) with that node switched, the first bad node
     * in execution order at a time (its NaN spreads to every later node), until the run is finite or the first bad
     * node did not come from the steps' own kernel (it ran at full precision, or on the host fallback). Every finding
     * is told to the {@link NonFiniteListener}.
     */
    private Resident executeChecked(Map<String, OrtTensor> inputs, Transfers transfers, long start) {
        if (checkMayHoldStaleCounts) {
            attention.takeNonFinite();
            checkMayHoldStaleCounts = false;
        }
        Resident run = execute(inputs, transfers, start);
        Set<String> atFull = new java.util.LinkedHashSet<>();
        try {
            // reading the check waits for the stream: an asynchronous kernel fault surfaces here
            List<NonFiniteOutput> bad = attention.takeNonFinite();
            java.util.Optional<String> full = attention.fullPrecision();
            while (!bad.isEmpty()) {
                NonFiniteOutput first = bad.get(0);
                // only the steps' own (quantized) kernel is re-run: a host fallback's output is full precision already
                boolean ownKernel = first.backend().equals(attention.backendName());
                if (full.isEmpty() || atFull.contains(first.node()) || !ownKernel) {
                    nonFiniteListener.nonFinite(first, java.util.Optional.empty(), java.util.Optional.empty());
                    break;
                }
                atFull.add(first.node());
                run.close();
                run = null;
                attention.runAtFullPrecision(atFull);
                run = execute(inputs, transfers, start);
                bad = attention.takeNonFinite();
                java.util.Optional<NonFiniteOutput> again = bad.stream().filter(b -> b.node().equals(first.node()))
                        .findFirst();
                nonFiniteListener.nonFinite(first, full, again);
                if (again.isPresent()) {
                    break; // the full-precision kernel's own NaN: reported, nothing more to try
                }
            }
            return run;
        } catch (RuntimeException e) {
            checkMayHoldStaleCounts = true;
            if (run != null) {
                run.close();
            }
            throw e;
        } finally {
            if (!atFull.isEmpty()) {
                attention.runAtFullPrecision(Set.of());
            }
        }
    }

    private Resident execute(Map<String, OrtTensor> inputs, Transfers transfers, long start) {
        Map<String, OrtTensor> given = new LinkedHashMap<>();
        for (String name : plan.graphInputs()) {
            given.put(name, inputs.get(name));
        }
        return executeSteps(0, plan.steps().size(), given, transfers, start);
    }

    /** Steps {@code from} (inclusive) to {@code to} (exclusive) of a partitioned model, in execution order. */
    public record StepRange(int from, int to) {
        public StepRange {
            if (from < 0 || to <= from) {
                throw new IllegalArgumentException("a step range needs 0 <= from < to, got " + from + ".." + to);
            }
        }

        public int size() {
            return to - from;
        }

        /** 1-based, as a user counts: "steps 3-41". */
        public String describe() {
            return size() == 1 ? "step " + (from + 1) : "steps " + (from + 1) + "-" + to;
        }
    }

    /**
     * The longest run of steps none of whose segments' sessions copies between host and device ({@link
     * OrtSessionRunner#copiesThroughTheHost}): what a CUDA graph can record (the steps around it run as usual). Of
     * runs of equal length the first. Needs every segment's session open (after one run).
     *
     * @throws IllegalStateException if a segment has no session yet, or every segment copies through the host and no
     *                               attention step lies between two of them (said with ONNX Runtime's causes)
     */
    public StepRange recordableSteps() {
        List<Step> steps = plan.steps();
        StepRange best = null;
        int runStart = 0;
        List<String> causes = new ArrayList<>();
        for (int i = 0; i <= steps.size(); i++) {
            boolean copying = false;
            if (i < steps.size() && steps.get(i) instanceof OrtSegment segment) {
                Map<List<Integer>, OrtSessionRunner> byTypes = sessions.get(segment.index());
                if (byTypes == null || byTypes.isEmpty()) {
                    throw new IllegalStateException("segment " + segment.index() + " has no session yet: run the"
                            + " model once first");
                }
                List<OrtSessionRunner> copiers = copyingSessions(byTypes);
                copying = !copiers.isEmpty();
                causes.addAll(hostCopyCauses(copiers));
            }
            if (copying || i == steps.size()) {
                if (i > runStart && (best == null || i - runStart > best.size())) {
                    best = new StepRange(runStart, i);
                }
                runStart = i + 1;
            }
        }
        if (best == null) {
            throw new IllegalStateException("every segment copies through the host"
                    + quoted(causes.stream().distinct().toList()) + ": nothing to record");
        }
        return best;
    }

    /**
     * The segments whose sessions copy between host and device (which a CUDA graph cannot record), in step order, each
     * as "segment N (step S of T)" with ONNX Runtime's causes; segments with no session yet are left out.
     */
    public List<String> segmentsCopyingThroughTheHost() {
        List<String> out = new ArrayList<>();
        List<Step> steps = plan.steps();
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i) instanceof OrtSegment segment) {
                Map<List<Integer>, OrtSessionRunner> byTypes = sessions.get(segment.index());
                if (byTypes == null) {
                    continue;
                }
                List<OrtSessionRunner> copying = copyingSessions(byTypes);
                if (!copying.isEmpty()) {
                    out.add("segment " + segment.index() + " (step " + (i + 1) + " of " + steps.size() + ")"
                            + quoted(hostCopyCauses(copying)));
                }
            }
        }
        return out;
    }

    /** A segment's sessions (one per input types) that copy between host and device. */
    private static List<OrtSessionRunner> copyingSessions(Map<List<Integer>, OrtSessionRunner> byTypes) {
        return byTypes.values().stream().filter(OrtSessionRunner::copiesThroughTheHost).toList();
    }

    /** Those sessions' causes as ONNX Runtime logged them, each once. */
    private static List<String> hostCopyCauses(List<OrtSessionRunner> copying) {
        return copying.stream().flatMap(r -> r.hostCopyCauses().stream()).distinct().toList();
    }

    /** ONNX Runtime's causes of a segment's host copies, for a message: the first few, and how many more. */
    static String quoted(List<String> causes) {
        if (causes.isEmpty()) {
            return "";
        }
        int shown = Math.min(4, causes.size());
        String more = causes.size() > shown ? "; and " + (causes.size() - shown) + " more" : "";
        return " (ONNX Runtime: " + String.join("; ", causes.subList(0, shown)) + more + ")";
    }

    /** The number of steps of the plan (ONNX Runtime segments and attention calls, in execution order). */
    public int stepCount() {
        return plan.steps().size();
    }

    /**
     * The tensors that cross from step {@code from - 1} to step {@code from}: what steps {@code from} onwards read that
     * the caller or earlier steps provide, and the graph's outputs that earlier steps made.
     */
    public Set<String> namesReadFrom(int from) {
        return crossing.get(from);
    }

    /**
     * Queues steps {@code from} (inclusive) to {@code to} (exclusive) on tensors in {@link #memory()} — {@code given}
     * holds at least {@link #namesReadFrom namesReadFrom(from)}, borrowed and left open — and returns, owned by the
     * caller, what the steps made that later steps read ({@code namesReadFrom(to)}; with {@code to} the last step, the
     * graph's outputs). The attention outputs' NaN/Inf check is not read (the caller reads it, e.g. after launching a
     * recorded graph of these steps), and on the device path with runs that return once queued nothing here waits for
     * the stream: what a CUDA graph can record.
     */
    public Resident runSteps(int from, int to, Map<String, OrtTensor> given) {
        Objects.checkFromToIndex(from, to, plan.steps().size());
        for (String name : namesReadFrom(from)) {
            if (!given.containsKey(name) && !plan.graphOutputs().contains(name)) {
                throw new IllegalArgumentException("steps from " + from + " read '" + name + "', which was not given");
            }
        }
        return executeSteps(from, to, given, new Transfers(), System.nanoTime());
    }

    private Resident executeSteps(int from, int to, Map<String, OrtTensor> given, Transfers transfers, long start) {
        long ortNanos = 0;
        long attentionNanos = 0;
        List<HostAttentionStep.Call> calls = new ArrayList<>();
        Map<String, OrtTensor> live = new HashMap<>();
        // The caller's tensors: read, never closed here.
        Set<OrtTensor> borrowed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Map.Entry<String, OrtTensor> e : given.entrySet()) {
            live.put(e.getKey(), e.getValue());
            borrowed.add(e.getValue());
        }
        Map<String, OrtTensor> outputs = new LinkedHashMap<>();
        try {
            List<Step> steps = plan.steps();
            for (int i = from; i < to; i++) {
                Step step = steps.get(i);
                Map<String, OrtTensor> stepInputs = new LinkedHashMap<>();
                for (String name : step.inputs()) {
                    OrtTensor tensor = live.get(name);
                    if (tensor == null) {
                        throw new IllegalStateException("step " + i + " (" + step.describe() + ") needs '" + name
                                + "', which no earlier step produced");
                    }
                    stepInputs.put(name, tensor);
                }
                if (step instanceof OrtSegment segment) {
                    OrtSessionRunner session = session(segment, stepInputs);
                    long t0 = System.nanoTime();
                    Map<String, OrtTensor> produced = session.runBound(stepInputs, segment.outputs(),
                            memory.ortMemory(), memory.isHost());
                    ortNanos += System.nanoTime() - t0;
                    live.putAll(produced);
                } else if (step instanceof AttentionStep attentionStep) {
                    var node = attentionStep.node();
                    OrtTensor out = attention.run(node, stepInputs.get(node.query()),
                            stepInputs.get(node.key()), stepInputs.get(node.value()), calls::add, transfers);
                    attentionNanos += calls.get(calls.size() - 1).backendNanos();
                    live.put(node.output(), out);
                }
                for (String name : lastReads.get(i)) {
                    OrtTensor done = live.remove(name);
                    if (done != null && !borrowed.contains(done)) {
                        done.close();
                    }
                }
            }
            if (to == steps.size()) {
                for (String name : plan.graphOutputs()) {
                    OrtTensor tensor = live.remove(name);
                    if (tensor == null) {
                        throw new IllegalStateException("graph output '" + name + "' was not produced");
                    }
                    if (borrowed.contains(tensor)) {
                        throw new IllegalStateException("graph output '" + name + "' is a model input passed through;"
                                + " the partitioned runner does not copy inputs to outputs");
                    }
                    outputs.put(name, tensor);
                }
            } else {
                for (String name : namesReadFrom(to)) {
                    OrtTensor tensor = live.get(name);
                    if (tensor != null && !borrowed.contains(tensor)) {
                        outputs.put(name, live.remove(name));
                    }
                }
            }
            RunResult figures = new RunResult(Map.of(), System.nanoTime() - start, ortNanos, attentionNanos,
                    List.copyOf(calls), transfers);
            return new Resident(outputs, figures);
        } catch (RuntimeException e) {
            checkMayHoldStaleCounts = true;
            outputs.values().forEach(OrtTensor::close);
            throw e;
        } finally {
            live.values().stream().filter(t -> !borrowed.contains(t)).forEach(OrtTensor::close);
        }
    }

    private OrtSessionRunner session(OrtSegment segment, Map<String, OrtTensor> inputs) {
        List<Integer> key = new ArrayList<>();
        if (segment.needsInputTypes()) {
            for (String name : segment.inputs()) {
                key.add(inputs.get(name).elemType());
            }
        }
        Map<List<Integer>, OrtSessionRunner> byTypes = sessions.computeIfAbsent(segment.index(), i -> new HashMap<>());
        OrtSessionRunner session = byTypes.get(key);
        if (session == null) {
            ModelProto model = segment.needsInputTypes()
                    ? segment.typedModel(name -> inputs.get(name).elemType())
                    : segment.model();
            session = runtime.open(model, plan.model().folder(), "segment " + segment.index() + " of " + plan.model().source() + " ("
                    + describeNodes(segment) + ")");
            byTypes.put(key, session);
        }
        return session;
    }

    /**
     * The statistics of the one arena the segments' sessions share ({@link OrtRuntime#shareOneArena()}), e.g.
     * {@code MaxInUse}: the most it has held at once since it was created; empty if they do not share one or none has
     * opened yet.
     */
    public Optional<Map<String, String>> sharedArenaStats() {
        if (!runtime.sharesOneArena()) {
            return Optional.empty();
        }
        return openSessions().stream().findFirst().map(runtime::computeAllocatorStats);
    }

    /** How many ONNX Runtime sessions are open (one per segment and input types, opened on first use). */
    public int openSessionCount() {
        return openSessions().size();
    }

    /** The ONNX Runtime sessions opened so far in segment order (one per segment and input types; opened on first use). */
    List<OrtSessionRunner> openSessions() {
        return sessions.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .flatMap(segment -> segment.getValue().values().stream()).toList();
    }

    private String describeNodes(OrtSegment segment) {
        var graph = plan.model().graph();
        List<String> ops = new ArrayList<>();
        for (int index : segment.nodeIndices()) {
            if (ops.size() == 8) {
                ops.add("...");
                break;
            }
            var node = graph.getNode(index);
            ops.add((node.getDomain().isEmpty() ? "" : node.getDomain() + "::") + node.getOpType());
        }
        return segment.nodeIndices().size() + " node(s): " + String.join(", ", ops);
    }

    @Override
    public void close() {
        for (Map<List<Integer>, OrtSessionRunner> byTypes : sessions.values()) {
            byTypes.values().forEach(OrtSessionRunner::close);
        }
        sessions.clear();
        attention.close();
    }
}
