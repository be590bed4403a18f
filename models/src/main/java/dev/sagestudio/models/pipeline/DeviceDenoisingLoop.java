package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorShapeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TypeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtSessionRunner;
import dev.sagestudio.models.runtime.OrtTensor;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.TensorMemory;
import dev.sagestudio.models.scheduler.Scheduler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The denoising loop with the sample on the GPU: x_t, the text states and the denoiser's outputs stay in device
 * memory from the first step to the last; guidance and the scheduler's step — an element-wise affine map
 * ({@link Scheduler#affineStep}) — run as a small ONNX graph on the same CUDA EP and stream. Per step only scalars
 * go up (the timestep per batch row and six coefficients); the sample comes down once at the end, and a predicted
 * x0 for a preview only when one is asked for.
 */
final class DeviceDenoisingLoop implements AutoCloseable {
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

    DeviceDenoisingLoop(PartitionedModel denoiser, Component spec, OrtRuntime runtime, long[] sampleShape) {
        this.denoiser = denoiser;
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

    /** What the loop leaves: the final sample on the host, per-step timings, attention calls made. */
    record Outcome(float[] sample, List<StepTiming> timings, long attentionCalls) {
    }

    /**
     * Runs {@code steps} steps from {@code initial} (one sample) under {@code contexts} (one [T, C] text state each:
     * conditional, then unconditional when guided).
     */
    Outcome run(Scheduler scheduler, float[] initial, List<float[]> contexts, int textLength, int textWidth,
                double guidance, boolean preview, int previewEvery, ProgressListener listener,
                CancellationToken cancel, long start, java.util.function.Function<float[], float[]> decode) {
        int steps = scheduler.timesteps().length;
        int batch = contexts.size();
        float[] timesteps = scheduler.timesteps();
        List<OrtTensor> held = new ArrayList<>();
        List<StepTiming> timings = new ArrayList<>(steps);
        long attentionCalls = 0;
        try {
            float[] text = new float[batch * textLength * textWidth];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(contexts.get(b), 0, text, b * textLength * textWidth, textLength * textWidth);
            }
            OrtTensor textStates = upload(new long[] {batch, textLength, textWidth}, text, held);
            float[] batched = new float[batch * initial.length];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(initial, 0, batched, b * initial.length, initial.length);
            }
            OrtTensor x = upload(shape(1), initial, held);
            OrtTensor xBatch = upload(shape(batch), batched, held);
            for (int i = 0; i < steps; i++) {
                cancel.throwIfCancelled(i, steps);
                listener.beforeStep(i, steps);
                long t0 = System.nanoTime();
                List<OrtTensor> stepTensors = new ArrayList<>();
                float[] rowTimesteps = new float[batch];
                java.util.Arrays.fill(rowTimesteps, timesteps[i]);
                Map<String, OrtTensor> inputs = new LinkedHashMap<>();
                inputs.put(spec.inputs().get("sample").name(), xBatch);
                inputs.put(spec.inputs().get("timestep").name(), upload(new long[] {batch}, rowTimesteps,
                        stepTensors));
                inputs.put(spec.inputs().get("encoder_hidden_states").name(), textStates);
                long uploadedBytes = 4L * batch;
                RunResult figures;
                Map<String, OrtTensor> produced;
                try (PartitionedModel.Resident run = denoiser.runResident(inputs)) {
                    figures = run.figures();
                    long t1 = System.nanoTime();
                    Scheduler.AffineStep a = scheduler.affineStep(i).orElseThrow();
                    float s = (float) guidance;
                    float[] coefficients = batch == 2
                            ? new float[] {s, 1 - s, (float) a.sampleScale(), (float) a.outputScale(),
                                    (float) a.x0SampleScale(), (float) a.x0OutputScale()}
                            : new float[] {1, 0, (float) a.sampleScale(), (float) a.outputScale(),
                                    (float) a.x0SampleScale(), (float) a.x0OutputScale()};
                    Map<String, OrtTensor> stepInputs = new LinkedHashMap<>();
                    stepInputs.put(X, x);
                    stepInputs.put(OUT, run.outputs().get(spec.outputs().get("model_output").name()));
                    stepInputs.put(COEF, upload(new long[] {coefficients.length}, coefficients, stepTensors));
                    uploadedBytes += 4L * coefficients.length;
                    List<String> wanted = batch == 2 ? List.of(NEXT, NEXT_BATCH, X0) : List.of(NEXT, X0);
                    produced = stepGraph(batch).runBound(stepInputs, wanted, memory.ortMemory(), memory.isHost());
                    stepTensors.add(produced.get(X0)); // read only for a preview, freed with the step's scalars
                    long t2 = System.nanoTime();
                    held.remove(x);
                    x.close();
                    x = produced.get(NEXT);
                    held.add(x);
                    if (batch == 2) {
                        held.remove(xBatch);
                        xBatch.close();
                        xBatch = produced.get(NEXT_BATCH);
                        held.add(xBatch);
                    } else {
                        xBatch = x;
                    }
                    Optional<float[]> image = Optional.empty();
                    long downloads = 0;
                    long downloadedBytes = 0;
                    boolean wantPreview = preview && previewEvery > 0
                            && ((i + 1) % previewEvery == 0 || i == steps - 1);
                    if (wantPreview) {
                        HostArray x0 = memory.download(produced.get(X0));
                        downloads = 1;
                        downloadedBytes = x0.bytes().length;
                        image = Optional.of(decode.apply(GraphComponent.floats(x0, "predicted x0")));
                    }
                    attentionCalls += figures.attentionCalls().size();
                    long copies = 2 + downloads + figures.transfers().staging();
                    long copiedBytes = uploadedBytes + downloadedBytes + figures.transfers().stagingBytes();
                    StepTiming timing = new StepTiming(t2 - t0, figures.ortNanos(), figures.attentionNanos(),
                            t2 - t1, 1, figures.attentionCalls().size(), copies, copiedBytes);
                    timings.add(timing);
                    listener.onStep(new StepEvent(i, steps, timesteps[i], timing, System.nanoTime() - start, image));
                } finally {
                    stepTensors.forEach(OrtTensor::close);
                }
            }
            HostArray last = memory.download(x);
            return new Outcome(GraphComponent.floats(last, "final sample"), timings, attentionCalls);
        } finally {
            // x and xBatch may be the same tensor (no guidance): close each tensor once.
            held.stream().distinct().forEach(OrtTensor::close);
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
        GraphProto.Builder g = GraphProto.newBuilder().setName("sagestudio_sampler_step")
                .addInput(valueInfo(X, one)).addInput(valueInfo(OUT, many)).addInput(valueInfo(COEF, new long[] {6}))
                .addOutput(valueInfo(NEXT, one)).addOutput(valueInfo(X0, one));
        for (int k = 0; k < 6; k++) {
            g.addInitializer(TensorProto.newBuilder().setName("index_" + k).setDataType(ElementTypes.INT64)
                    .addInt64Data(k));
            g.addNode(node("Gather", List.of(COEF, "index_" + k), "c" + k));
        }
        String v;
        if (batch == 2) {
            g.addNode(node("Split", List.of(OUT), "cond", "uncond").toBuilder()
                    .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                            .setI(0))
                    .addAttribute(AttributeProto.newBuilder().setName("num_outputs")
                            .setType(AttributeProto.AttributeType.INT).setI(2)).build());
            g.addNode(node("Mul", List.of("cond", "c0"), "cond_part"));
            g.addNode(node("Mul", List.of("uncond", "c1"), "uncond_part"));
            g.addNode(node("Add", List.of("cond_part", "uncond_part"), "v"));
            v = "v";
        } else {
            v = OUT;
        }
        g.addNode(node("Mul", List.of(X, "c2"), "x_part"));
        g.addNode(node("Mul", List.of(v, "c3"), "v_part"));
        g.addNode(node("Add", List.of("x_part", "v_part"), NEXT));
        g.addNode(node("Mul", List.of(X, "c4"), "x0_x_part"));
        g.addNode(node("Mul", List.of(v, "c5"), "x0_v_part"));
        g.addNode(node("Add", List.of("x0_x_part", "x0_v_part"), X0));
        if (batch == 2) {
            g.addNode(node("Concat", List.of(NEXT, NEXT), NEXT_BATCH).toBuilder()
                    .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                            .setI(0)).build());
            g.addOutput(valueInfo(NEXT_BATCH, many));
        }
        return ModelProto.newBuilder().setIrVersion(10).setProducerName("sagestudio")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(23)).setGraph(g).build();
    }

    private static NodeProto node(String op, List<String> inputs, String... outputs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + outputs[0]);
        inputs.forEach(n::addInput);
        for (String o : outputs) {
            n.addOutput(o);
        }
        return n.build();
    }

    private static ValueInfoProto valueInfo(String name, long[] dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(ElementTypes.FLOAT).setShape(shape))).build();
    }

    @Override
    public void close() {
        stepGraphs.values().forEach(OrtSessionRunner::close);
        stepGraphs.clear();
    }
}
