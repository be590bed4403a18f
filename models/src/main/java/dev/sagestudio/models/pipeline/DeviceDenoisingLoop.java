package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.gpu.CudaException;
import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.OnnxGraphBuilder;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.NonFiniteOutput;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtSessionRunner;
import dev.sagestudio.models.runtime.OrtTensor;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RecordedSteps;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.TensorMemory;
import dev.sagestudio.models.scheduler.Scheduler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The denoising loop with the sample on the GPU: x_t, the text states and the denoiser's outputs stay in device
 * memory from the first step to the last; guidance and the scheduler's step — an element-wise affine map
 * ({@link Scheduler#affineStep}) — run as a small ONNX graph on the same CUDA EP and stream. Per step only scalars
 * go up (the timestep per batch row and six coefficients); the sample comes down once at the end, and a predicted
 * x0 for a preview only when one is asked for. A run whose scheduler step is not such a map runs on the host loop,
 * and its notes say why.
 */
final class DeviceDenoisingLoop implements DenoisingLoop {
    private static final String X = "x";
    private static final String OUT = "model_output";
    private static final String COEF = "coefficients";
    private static final String NEXT = "x_next";
    private static final String NEXT_BATCH = "x_next_batch";
    private static final String X0 = "x0";

    private final PartitionedModel denoiser;
    private final Component spec;
    private final OrtRuntime runtime;
    private final TensorMemory memory;
    private final long[] sampleShape;
    private final Map<Integer, OrtSessionRunner> stepGraphs = new HashMap<>();
    private final HostDenoisingLoop hostLoop;
    private final Function<List<TextCondition>, Map<String, HostArray>> textInputs;
    private final Optional<StepRecorder> recorder;

    /**
     * Records a step as one CUDA graph on the device path ({@code DeviceOnnxPath::recordResident}; tests pose other
     * recordings).
     */
    @FunctionalInterface
    interface StepRecorder {
        RecordedSteps record(PartitionedModel model, Map<String, OrtTensor> example, PartitionedModel.StepRange recorded,
                             BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>, Map<String, OrtTensor>> after);
    }

    /**
     * @param textInputs the denoiser's text inputs for a batch of conditions, by graph input name
     *                   ({@link Denoiser#textInputs}); uploaded once per generation
     * @param hostLoop   runs the requests whose scheduler step is not an affine map
     * @param recorder   records each generation's step (denoiser, guidance and scheduler step) as one CUDA graph from
     *                   the second step on, launched once per step; empty: every step runs segment by segment
     */
    DeviceDenoisingLoop(PartitionedModel denoiser, Component spec, OrtRuntime runtime, long[] sampleShape,
                        Function<List<TextCondition>, Map<String, HostArray>> textInputs, HostDenoisingLoop hostLoop,
                        Optional<StepRecorder> recorder) {
        this.recorder = recorder;
        this.denoiser = denoiser;
        this.textInputs = textInputs;
        this.hostLoop = hostLoop;
        this.spec = spec;
        this.runtime = runtime;
        this.memory = denoiser.memory();
        this.sampleShape = sampleShape.clone();
    }

    /** Why {@code scheduler} cannot run its {@code steps} steps here, or empty when it can. */
    static Optional<String> unsupported(Scheduler scheduler, int steps, String schedulerName) {
        for (int i = 0; i < steps; i++) {
            if (scheduler.affineStep(i).isEmpty()) {
                return Optional.of("the " + schedulerName + " scheduler's step " + i + " is not an element-wise affine"
                        + " map (noise, multistep history or input scaling), so it runs on the host");
            }
        }
        return Optional.empty();
    }

    @Override
    public String describe() {
        return "sample-resident loop on the device: guidance and an affine scheduler step run as an ONNX graph on the"
                + " denoiser's CUDA stream" + (recorder.isPresent() ? "; from the second step on, the denoiser, guidance"
                + " and the scheduler's step are launched as one recorded CUDA graph per step (said per run)" : "")
                + "; a scheduler without an affine step runs on the host loop (said per run)";
    }

    @Override
    public Outcome run(Context c) {
        Optional<String> hostOnly = unsupported(c.scheduler(), c.steps(), c.schedulerName());
        if (hostOnly.isPresent()) {
            return hostLoop.run(c, List.of(HostDenoisingLoop.samplerOnTheHost(hostOnly.get())));
        }
        return runResident(c);
    }

    private Outcome runResident(Context c) {
        Scheduler scheduler = c.scheduler();
        float[] initial = c.initial();
        List<TextCondition> contexts = c.contexts();
        double guidance = c.guided() ? c.guidance() : 1;
        ProgressListener listener = c.listener();
        CancellationToken cancel = c.cancel();
        int steps = scheduler.timesteps().length;
        int batch = contexts.size();
        float[] timesteps = scheduler.timesteps();
        List<OrtTensor> held = new ArrayList<>();
        List<StepTiming> timings = new ArrayList<>(steps);
        List<String> notes = new ArrayList<>();
        long attentionCalls = 0;
        RecordedSteps graph = null;
        boolean tryRecording = recorder.isPresent();
        try {
            Map<String, OrtTensor> text = new LinkedHashMap<>();
            for (var e : textInputs.apply(contexts).entrySet()) {
                OrtTensor tensor = memory.upload(e.getValue());
                held.add(tensor);
                text.put(e.getKey(), tensor);
            }
            float[] batched = new float[batch * initial.length];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(initial, 0, batched, b * initial.length, initial.length);
            }
            OrtTensor x = upload(shape(1), initial, held);
            OrtTensor xBatch = upload(shape(batch), batched, held);
            for (int i = 0; i < steps; i++) {
                cancel.throwIfCancelled(i, steps);
                listener.beforeStep(i, steps);
                c.watch().beforeStep(i); // the step a non-finite attention output found on the device belongs to
                long t0 = System.nanoTime();
                List<OrtTensor> stepTensors = new ArrayList<>();
                try {
                    float[] rowTimesteps = new float[batch];
                    java.util.Arrays.fill(rowTimesteps, timesteps[i]);
                    Map<String, OrtTensor> inputs = new LinkedHashMap<>();
                    inputs.put(sampleName(), xBatch);
                    inputs.put(spec.inputs().get("timestep").name(), upload(new long[] {batch}, rowTimesteps,
                            stepTensors));
                    inputs.putAll(text);
                    Scheduler.AffineStep a = scheduler.affineStep(i).orElseThrow();
                    float s = (float) guidance;
                    float[] coefficients = batch == 2
                            ? new float[] {s, 1 - s, (float) a.sampleScale(), (float) a.outputScale(),
                                    (float) a.x0SampleScale(), (float) a.x0OutputScale()}
                            : new float[] {1, 0, (float) a.sampleScale(), (float) a.outputScale(),
                                    (float) a.x0SampleScale(), (float) a.x0OutputScale()};
                    OrtTensor coefficientTensor = upload(new long[] {coefficients.length}, coefficients, stepTensors);
                    long uploadedBytes = 4L * batch + 4L * coefficients.length;
                    // Recorded from the second step on: by then every session has run once (ONNX Runtime sets a
                    // session up on its first run, which a graph cannot record) and the shapes are the loop's.
                    if (tryRecording && i >= 1) {
                        tryRecording = false;
                        graph = record(inputs, x, coefficientTensor, batch, notes, i, steps);
                    }
                    StepRun run = graph != null ? launch(graph, inputs, x, coefficientTensor, batch) : null;
                    OrtTensor stepX = x;
                    RecordedSteps dropped = null;
                    if (run == null && graph != null) {
                        // NaN or Inf in an attention output of the launch: a graph cannot re-run one node at full
                        // precision, so this step runs again segment by segment (where a quantized kernel's bad node is
                        // re-run with the full-precision kernel and reported), and so do the rest. The launch may have
                        // overwritten x (the previous launch's output); the graph's input buffers still hold this
                        // step's sample, so the graph is closed only after the step.
                        NonFiniteOutput bad = graph.lastNonFinite().get(0);
                        notes.add(String.format(java.util.Locale.ROOT, "step %d: the recorded CUDA graph's attention"
                                        + " output of node %s (%s) held %d non-finite value(s) (first: %s); that step and"
                                        + " the later ones ran segment by segment instead", i + 1, bad.node(),
                                bad.backend(), bad.count(), bad.firstValue()));
                        Map<String, OrtTensor> recorded = graph.recordedInputs();
                        inputs.put(sampleName(), recorded.get(sampleName()));
                        stepX = recorded.get(X);
                        dropped = graph;
                        graph = null;
                    }
                    if (run == null) {
                        try {
                            run = stepSegmentBySegment(inputs, stepX, coefficientTensor, batch);
                        } finally {
                            if (dropped != null) {
                                dropped.close(); // x and xBatch may be its outputs: this step's run replaces them
                            }
                        }
                    }
                    long t2 = System.nanoTime();
                    release(x, held);
                    if (batch == 2) {
                        release(xBatch, held);
                    }
                    x = run.next();
                    xBatch = batch == 2 ? run.nextBatch() : x;
                    if (run.ownedHere()) {
                        held.add(x);
                        if (batch == 2) {
                            held.add(xBatch);
                        }
                        stepTensors.add(run.x0()); // read only for a preview, freed with the step's scalars
                    }
                    Optional<float[]> image = Optional.empty();
                    long downloads = 0;
                    long downloadedBytes = 0;
                    if (c.previewAt(i)) {
                        HostArray x0 = memory.download(run.x0());
                        downloads = 1;
                        downloadedBytes = x0.bytes().length;
                        image = Optional.of(c.decode().apply(GraphComponent.floats(x0, "predicted x0")));
                    }
                    attentionCalls += run.attentionCalls();
                    // the two scalar uploads and a preview's download are made here, the rest by the runner
                    long copies = 2 + downloads + run.copies();
                    long copiedBytes = uploadedBytes + downloadedBytes + run.copiedBytes();
                    StepTiming timing = new StepTiming(t2 - t0, run.ortNanos(), run.attentionNanos(),
                            run.schedulerNanos(), 1, run.attentionCalls(), copies, copiedBytes, run.recorded());
                    timings.add(timing);
                    listener.onStep(new StepEvent(i, steps, timesteps[i], timing, System.nanoTime() - c.start(), image));
                } finally {
                    stepTensors.forEach(OrtTensor::close);
                }
            }
            HostArray last = memory.download(x);
            return new Outcome(GraphComponent.floats(last, "final sample"), timings, attentionCalls, notes);
        } finally {
            // the graph's tensors (x may be one of them) are closed with it; x and xBatch may be the same tensor (no
            // guidance): close each tensor once
            try {
                if (graph != null) {
                    graph.close();
                }
            } finally {
                held.stream().distinct().forEach(OrtTensor::close);
            }
        }
    }

    /** What one step left: the next sample(s), the predicted x0, and its figures. */
    private record StepRun(OrtTensor next, OrtTensor nextBatch, OrtTensor x0, boolean ownedHere, boolean recorded,
                           long ortNanos, long attentionNanos, long schedulerNanos, int attentionCalls, long copies,
                           long copiedBytes) {
    }

    /** The denoiser run segment by segment (NaN/Inf found in attention outputs handled there), then the step graph. */
    private StepRun stepSegmentBySegment(Map<String, OrtTensor> inputs, OrtTensor x, OrtTensor coefficients,
                                         int batch) {
        try (PartitionedModel.Resident run = denoiser.runResident(inputs)) {
            RunResult figures = run.figures();
            long t1 = System.nanoTime();
            Map<String, OrtTensor> produced = guidedStep(x, run.outputs(), coefficients, batch);
            long schedulerNanos = System.nanoTime() - t1;
            return new StepRun(produced.get(NEXT), batch == 2 ? produced.get(NEXT_BATCH) : null, produced.get(X0),
                    true, false, figures.ortNanos(), figures.attentionNanos(), schedulerNanos,
                    figures.attentionCalls().size(), figures.transfers().copies(), figures.transfers().copiedBytes());
        }
    }

    /**
     * One launch of the recorded step; null when an attention output held NaN or Inf: a graph cannot re-run one node at
     * full precision, so the caller runs the step again segment by segment, which does and reports it.
     */
    private StepRun launch(RecordedSteps graph, Map<String, OrtTensor> inputs, OrtTensor x, OrtTensor coefficients,
                           int batch) {
        Map<String, OrtTensor> out = graph.launch(withStepGraphInputs(inputs, x, coefficients));
        if (!graph.lastNonFinite().isEmpty()) {
            return null;
        }
        return new StepRun(out.get(NEXT), batch == 2 ? out.get(NEXT_BATCH) : null, out.get(X0), false, true, 0, 0, 0,
                graph.recordedAttentionCalls(), 0, 0);
    }

    /**
     * Records the denoiser's step with guidance and the scheduler's step behind it as one CUDA graph, or notes why
     * not (the loop then runs segment by segment, as before).
     */
    private RecordedSteps record(Map<String, OrtTensor> inputs, OrtTensor x, OrtTensor coefficients, int batch,
                                 List<String> notes, int step, int steps) {
        Map<String, OrtTensor> example = withStepGraphInputs(inputs, x, coefficients);
        try {
            RecordedSteps graph = recorder.orElseThrow().record(denoiser, example, denoiser.recordableSteps(),
                    (given, made) -> guidedStep(given.get(X), made, given.get(COEF), batch));
            PartitionedModel.StepRange recordable = graph.recorded();
            int total = denoiser.stepCount();
            String what = recordable.to() == total
                    ? String.format(java.util.Locale.ROOT, "the denoiser from its step %d of %d on, guidance and the"
                            + " scheduler's step", recordable.from() + 1, total)
                    : String.format(java.util.Locale.ROOT, "the denoiser's %s of %d; its steps %d-%d, which copy"
                            + " through the host, guidance and the scheduler's step ran around the launch",
                            recordable.describe(), total, recordable.to() + 1, total);
            notes.add(String.format(java.util.Locale.ROOT, "from step %d of %d on, each step ran as one CUDA graph"
                            + " launch of %d operations (%s): their time is not split into ONNX Runtime and attention",
                    step + 1, steps, graph.recordedOperations(), what));
            return graph;
        } catch (CudaException e) {
            if (!e.isRefusedByCapture()) {
                throw e; // a fault of the device (a failed launch, no memory left): the step fails, named
            }
            notes.add(notRecorded(e));
            return null;
        } catch (RuntimeException e) {
            notes.add(notRecorded(e));
            return null;
        }
    }

    private static String notRecorded(RuntimeException e) {
        return "the step was not recorded as a CUDA graph, every step ran segment by segment: " + e.getMessage();
    }

    private String sampleName() {
        return spec.inputs().get("sample").name();
    }

    /** What a recording of the step reads: the denoiser's inputs, and the sample and coefficients the step graph reads. */
    private static Map<String, OrtTensor> withStepGraphInputs(Map<String, OrtTensor> denoiserInputs, OrtTensor x,
                                                              OrtTensor coefficients) {
        Map<String, OrtTensor> all = new LinkedHashMap<>(denoiserInputs);
        all.put(X, x);
        all.put(COEF, coefficients);
        return all;
    }

    /**
     * Guidance and the scheduler's step on the stream, from the sample {@code x}, the denoiser's outputs and the step's
     * coefficients: the next sample(s) and the predicted x0 (the step graph's tensors, owned by the caller).
     */
    private Map<String, OrtTensor> guidedStep(OrtTensor x, Map<String, OrtTensor> denoiserOutputs,
                                              OrtTensor coefficients, int batch) {
        Map<String, OrtTensor> stepInputs = new LinkedHashMap<>();
        stepInputs.put(X, x);
        stepInputs.put(OUT, denoiserOutputs.get(spec.outputs().get("model_output").name()));
        stepInputs.put(COEF, coefficients);
        List<String> wanted = batch == 2 ? List.of(NEXT, NEXT_BATCH, X0) : List.of(NEXT, X0);
        return stepGraph(batch).runBound(stepInputs, wanted, memory.ortMemory(), memory.isHost());
    }

    /** Closes {@code tensor} if this loop owns it (in {@code held}); a recorded graph's own tensors stay open. */
    private static void release(OrtTensor tensor, List<OrtTensor> held) {
        if (held.remove(tensor)) {
            tensor.close();
        }
    }

    private long[] shape(int batch) {
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = batch;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return shape;
    }

    private OrtTensor upload(long[] shape, float[] values, List<OrtTensor> owner) {
        OrtTensor tensor = memory.upload(HostArray.ofFloats(ElementTypes.FLOAT, shape, values));
        owner.add(tensor);
        return tensor;
    }

    private OrtSessionRunner stepGraph(int batch) {
        return stepGraphs.computeIfAbsent(batch, b -> runtime.open(stepModel(b, sampleShape),
                "guidance and scheduler step on the device (batch " + b + ")"));
    }

    /**
     * The step as ONNX: v = c0·out[0] + c1·out[1] (guidance; out[0] alone without it), x_next = c2·x + c3·v,
     * x0 = c4·x + c5·v, and for a batch of 2 x_next repeated as the next denoiser input.
     */
    static ModelProto stepModel(int batch, long[] sampleShape) {
        long[] one = new long[sampleShape.length + 1];
        long[] many = new long[sampleShape.length + 1];
        one[0] = 1;
        many[0] = batch;
        System.arraycopy(sampleShape, 0, one, 1, sampleShape.length);
        System.arraycopy(sampleShape, 0, many, 1, sampleShape.length);
        int f = ElementTypes.FLOAT;
        OnnxGraphBuilder g = new OnnxGraphBuilder("sagestudio_sampler_step")
                .input(X, f, one).input(OUT, f, many).input(COEF, f, 6).output(NEXT, f, one).output(X0, f, one);
        for (int k = 0; k < 6; k++) {
            g.initializer(OnnxGraphBuilder.int64Scalar("index_" + k, k));
            g.node("Gather", List.of(COEF, "index_" + k), List.of("c" + k));
        }
        String v;
        if (batch == 2) {
            g.node("Split", List.of(OUT), List.of("cond", "uncond"), OnnxGraphBuilder.intAttr("axis", 0),
                    OnnxGraphBuilder.intAttr("num_outputs", 2));
            g.node("Mul", List.of("cond", "c0"), List.of("cond_part"));
            g.node("Mul", List.of("uncond", "c1"), List.of("uncond_part"));
            g.node("Add", List.of("cond_part", "uncond_part"), List.of("v"));
            v = "v";
        } else {
            v = OUT;
        }
        g.node("Mul", List.of(X, "c2"), List.of("x_part"));
        g.node("Mul", List.of(v, "c3"), List.of("v_part"));
        g.node("Add", List.of("x_part", "v_part"), List.of(NEXT));
        g.node("Mul", List.of(X, "c4"), List.of("x0_x_part"));
        g.node("Mul", List.of(v, "c5"), List.of("x0_v_part"));
        g.node("Add", List.of("x0_x_part", "x0_v_part"), List.of(X0));
        if (batch == 2) {
            g.node("Concat", List.of(NEXT, NEXT), List.of(NEXT_BATCH), OnnxGraphBuilder.intAttr("axis", 0));
            g.output(NEXT_BATCH, f, many);
        }
        return g.build("sagestudio");
    }

    @Override
    public void close() {
        stepGraphs.values().forEach(OrtSessionRunner::close);
        stepGraphs.clear();
    }
}
