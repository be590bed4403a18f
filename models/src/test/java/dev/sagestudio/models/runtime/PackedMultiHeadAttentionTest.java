package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.TinyGraph;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * com.microsoft::MultiHeadAttention with packed inputs, as ONNX Runtime's transformer optimizer writes
 * it for fused projections: QKV packed as [B, N, H, 3, D] in the query (key and value empty), or KV
 * packed as [B, M, H, 2, D] in the key. Added Gather + Reshape nodes split them. ONNX Runtime's CPU
 * kernel refuses packed inputs ("not implemented for CPU"), so the expected output comes from the same
 * weights with the projection split into separate Q, K and V matrices and an unpacked MultiHeadAttention.
 */
class PackedMultiHeadAttentionTest extends CpuRuntimeTest {
    static final long B = 2;
    static final long N = 10;
    static final long M = 7;
    static final long WIDTH = 16;
    static final int HEADS = 2;
    static final int HEAD_DIM = 8;

    /** x → packed projection → MultiHeadAttention (packed QKV, or Q plus packed KV from a context). */
    static OnnxModel packed(boolean kvOnly) {
        TinyGraph g = new TinyGraph(3);
        String x = g.input("x", B, N, WIDTH);
        String context = kvOnly ? g.input("context", B, M, WIDTH) : x;
        int parts = kvOnly ? 2 : 3;
        String projected = g.op("MatMul", context, g.weight("w_packed", 0.4f, WIDTH, (long) parts * HEADS * HEAD_DIM));
        String packedHeads = g.op("Reshape", projected, g.int64s("packed_shape", 0, 0, HEADS, parts, HEAD_DIM));
        String[] inputs = kvOnly
                ? new String[] {g.op("MatMul", x, g.weight("w_q", 0.4f, WIDTH, (long) HEADS * HEAD_DIM)), packedHeads}
                : new String[] {packedHeads};
        g.graph().addNode(g.node("MultiHeadAttention", inputs, "y").setDomain("com.microsoft")
                .addAttribute(TinyGraph.intAttr("num_heads", HEADS)));
        g.output("y", B, N, (long) HEADS * HEAD_DIM);
        var proto = g.build().toBuilder().addOpsetImport(dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto
                .newBuilder().setDomain("com.microsoft").setVersion(1)).build();
        return OnnxModel.of(proto, java.nio.file.Path.of(".").toAbsolutePath(), kvOnly ? "packed kv" : "packed qkv");
    }

    /** The same attention with the packed projection's columns split into one weight matrix per part. */
    static OnnxModel unpacked(OnnxModel packed, boolean kvOnly) {
        var graph = packed.graph();
        int parts = kvOnly ? 2 : 3;
        var packedWeight = graph.getInitializerList().stream().filter(t -> t.getName().equals("w_packed"))
                .findFirst().orElseThrow();
        java.nio.FloatBuffer w = packedWeight.getRawData().asReadOnlyByteBuffer()
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        var out = graph.toBuilder().clearNode().clearInitializer();
        graph.getInitializerList().stream().filter(t -> !t.getName().equals("w_packed")).forEach(out::addInitializer);
        int inner = HEADS * HEAD_DIM;
        String[] partInputs = new String[parts];
        for (int p = 0; p < parts; p++) {
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate((int) WIDTH * inner * 4)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int row = 0; row < WIDTH; row++) {
                for (int h = 0; h < HEADS; h++) {
                    for (int d = 0; d < HEAD_DIM; d++) {
                        bytes.putFloat(w.get(row * parts * inner + (h * parts + p) * HEAD_DIM + d));
                    }
                }
            }
            String name = "w_part" + p;
            out.addInitializer(packedWeight.toBuilder().setName(name).clearDims().addDims(WIDTH).addDims(inner)
                    .setRawData(com.google.protobuf.ByteString.copyFrom(bytes.array())));
            partInputs[p] = "part" + p;
            out.addNode(dev.sagestudio.models.onnx.proto.Onnx.NodeProto.newBuilder().setOpType("MatMul")
                    .addInput(kvOnly ? "context" : "x").addInput(name).addOutput(partInputs[p]));
        }
        var attention = graph.getNodeList().stream().filter(n -> n.getOpType().equals("MultiHeadAttention"))
                .findFirst().orElseThrow().toBuilder().clearInput();
        if (kvOnly) {
            graph.getNodeList().stream().filter(n -> n.getInput(1).equals("w_q")).forEach(out::addNode);
            attention.addInput(graph.getNodeList().stream().filter(n -> n.getInput(1).equals("w_q")).findFirst()
                    .orElseThrow().getOutput(0));
        }
        for (String part : partInputs) {
            attention.addInput(part);
        }
        out.addNode(attention);
        return OnnxModel.of(packed.proto().toBuilder().setGraph(out).build(), packed.folder(), "unpacked");
    }

    static void assertSplitAndMatching(OnnxModel model, OnnxModel expectedModel, String form) {
        PartitionPlan plan = GraphPartitioner.partition(model);
        assertEquals(1, plan.attentionSteps().size(), plan.describe());
        AttentionNode node = plan.attentionNodes().get(0);
        assertTrue(node.pattern().contains(form), node.pattern());
        assertTrue(node.key().startsWith("sagestudio/") && node.value().startsWith("sagestudio/"), node.toString());
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 5);
        try (WholeModel whole = WholeModel.open(expectedModel, runtime);
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            RunResult expected = whole.run(inputs);
            RunResult actual = partitioned.run(inputs);
            OutputComparison.compare(expected.outputs(), actual.outputs()).forEach((name, m) ->
                    assertTrue(m.cosineSimilarity() >= 0.99999 && m.maxAbsError() < 1e-4, name + ": " + m));
        }
    }

    @Test
    void packedQkvIsSplitAndMatchesOnnxRuntime() {
        OnnxModel packed = packed(false);
        assertSplitAndMatching(packed, unpacked(packed, false), "packed QKV [B, N, H, 3, D]");
    }

    @Test
    void packedKvIsSplitAndMatchesOnnxRuntime() {
        OnnxModel packed = packed(true);
        assertSplitAndMatching(packed, unpacked(packed, true), "packed KV [B, M, H, 2, D]");
    }
}
