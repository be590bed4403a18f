package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.AttentionSteps;
import dev.sagestudio.models.runtime.WholeModel;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One ONNX graph of a bundle: either cut at its attention nodes (ONNX Runtime runs the segments, the chosen backend
 * the substituted attention nodes) or whole in ONNX Runtime. Sessions live until {@link #close()}.
 */
final class GraphComponent implements AutoCloseable {
    private final String role;
    private final PartitionPlan plan;
    private final PartitionedModel partitioned;
    private final WholeModel whole;
    private final String wholeReason;
    private boolean closed;

    private GraphComponent(String role, PartitionPlan plan, PartitionedModel partitioned, WholeModel whole,
                           String wholeReason) {
        this.role = role;
        this.wholeReason = wholeReason;
        this.plan = plan;
        this.partitioned = partitioned;
        this.whole = whole;
    }

    /** The graph cut at its attention nodes, which {@code backend} runs. */
    static GraphComponent partitioned(String role, Path file, AttentionBackend backend, OrtRuntime runtime) {
        return partitioned(role, file, backend, java.util.Optional.empty(), runtime);
    }

    /** As above; a node whose shape {@code backend} refuses runs on {@code shapeFallback}, if given (reported). */
    static GraphComponent partitioned(String role, Path file, AttentionBackend backend,
                                      java.util.Optional<AttentionBackend> shapeFallback, OrtRuntime runtime) {
        PartitionPlan plan = GraphPartitioner.partition(OnnxModel.load(file));
        AttentionSteps steps = shapeFallback.map(f -> AttentionSteps.onHost(backend, f))
                .orElseGet(() -> AttentionSteps.onHost(backend));
        return new GraphComponent(role, plan, new PartitionedModel(plan, steps, runtime), null, null);
    }

    /**
     * The graph cut at its attention nodes on a device path: {@code device} runs the plan ({@link
     * DeviceOnnxPath#partitioned}: CUDA EP segments, our kernels in place).
     */
    static GraphComponent onDevice(String role, Path file, java.util.function.Function<PartitionPlan,
            PartitionedModel> device) {
        PartitionPlan plan = GraphPartitioner.partition(OnnxModel.load(file));
        return new GraphComponent(role, plan, device.apply(plan), null, null);
    }

    /** The graph whole in one ONNX Runtime session, its attention included; {@code why} is said in reports. */
    static GraphComponent whole(String role, Path file, OrtRuntime runtime, String why) {
        OnnxModel model = OnnxModel.load(file);
        return new GraphComponent(role, GraphPartitioner.partition(model), null, WholeModel.open(model, runtime), why);
    }

    String role() {
        return role;
    }

    /** This component, after checking that its graph has the inputs and outputs {@code declared} names. */
    GraphComponent requireDeclared(String field, Path file, dev.sagestudio.models.bundle.ModelSpec.Component declared) {
        dev.sagestudio.models.bundle.GraphContract.check(field, file, declared, plan.graphInputs(),
                plan.graphOutputs());
        return this;
    }

    PartitionPlan plan() {
        return plan;
    }

    /** Attention ONNX Runtime runs in this graph (kept, or not matched as attention), with the reason. */
    List<String> keptAttention() {
        if (whole != null) {
            int n = plan.attentionNodes().size();
            return n == 0 ? List.of() : List.of(role + ": its " + n + " attention node(s) run inside ONNX Runtime ("
                    + wholeReason + ")");
        }
        List<String> kept = new java.util.ArrayList<>(plan.attentionNodes().stream().filter(n -> !n.substituted())
                .map(n -> role + ": " + n.label() + " stays in ONNX Runtime: " + n.keptReason().orElseThrow())
                .toList());
        plan.unmatched().forEach(miss -> kept.add(role + ": " + miss.label() + " looks like attention but was not"
                + " matched (" + miss.reason() + "); ONNX Runtime runs it"));
        return kept;
    }

    /** The partitioned model, unless the graph runs whole in ONNX Runtime. */
    java.util.Optional<PartitionedModel> partitionedModel() {
        return java.util.Optional.ofNullable(partitioned);
    }

    /** Attention calls the chosen kernel could not run and that ran on the host instead (device path), with why. */
    List<String> attentionFallbacks() {
        return partitioned == null ? List.of() : partitioned.attention().fallbacks().stream()
                .map(f -> role + ": " + f).toList();
    }

    long substitutedAttentionNodes() {
        return whole != null ? 0 : plan.attentionNodes().stream().filter(AttentionNode::substituted).count();
    }

    RunResult run(Map<String, HostArray> inputs) {
        if (closed) {
            throw new IllegalStateException("the " + role + " has been closed");
        }
        return whole != null ? whole.run(inputs) : partitioned.run(inputs);
    }

    /** A float32 graph output as floats. */
    static float[] floats(HostArray array, String what) {
        if (array.elemType() != dev.sagestudio.models.onnx.ElementTypes.FLOAT) {
            throw new IllegalStateException(what + " is " + array.describe() + "; the bundle format says float32");
        }
        float[] out = new float[(int) array.elementCount()];
        ByteBuffer.wrap(array.bytes()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    static HostArray float32(long[] shape, float[] values) {
        return HostArray.ofFloats(dev.sagestudio.models.onnx.ElementTypes.FLOAT, shape, values);
    }

    @Override
    public void close() {
        closed = true;
        if (whole != null) {
            whole.close();
        } else {
            partitioned.close();
        }
    }
}
