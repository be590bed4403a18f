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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One ONNX graph of a bundle, cut at its attention nodes: ONNX Runtime runs the segments, the chosen backend the
 * substituted attention nodes. Sessions live until {@link #close()}.
 */
final class GraphComponent implements AutoCloseable {
    private final String role;
    private final PartitionedModel model;
    private boolean closed;

    private GraphComponent(String role, PartitionedModel model) {
        this.role = role;
        this.model = model;
    }

    static GraphComponent open(String role, Path file, AttentionBackend backend, OrtRuntime runtime) {
        PartitionPlan plan = GraphPartitioner.partition(OnnxModel.load(file));
        return new GraphComponent(role, new PartitionedModel(plan, backend, runtime));
    }

    String role() {
        return role;
    }

    PartitionPlan plan() {
        return model.plan();
    }

    /** Attention nodes this graph keeps inside ONNX Runtime, with the reason for each. */
    List<String> keptAttention() {
        return model.plan().attentionNodes().stream().filter(n -> !n.substituted())
                .map(n -> role + ": " + n.label() + " stays in ONNX Runtime: " + n.keptReason().orElseThrow())
                .toList();
    }

    long substitutedAttentionNodes() {
        return model.plan().attentionNodes().stream().filter(AttentionNode::substituted).count();
    }

    RunResult run(Map<String, HostArray> inputs) {
        if (closed) {
            throw new IllegalStateException("the " + role + " has been closed");
        }
        return model.run(inputs);
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
        model.close();
    }
}
