package dev.sagestudio.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which attention nodes SageStudio takes over, and the reason given for each one it leaves to ONNX Runtime. */
class AttentionNodesTest {

    /** One Attention node on 4-D inputs q, k, v with extra inputs, outputs and attributes. */
    static AttentionNode classify(String[] inputs, String[] outputs, long opset, AttributeProto... attributes) {
        TinyGraph g = new TinyGraph(1);
        g.input("q", 1, 2, 8, 16);
        g.input("k", 1, 2, 8, 16);
        g.input("v", 1, 2, 8, 16);
        NodeProto.Builder node = g.node("Attention", inputs, outputs);
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        g.graph().addNode(node);
        ModelProto proto = g.build();
        proto = proto.toBuilder().setOpsetImport(0, proto.getOpsetImport(0).toBuilder().setVersion(opset)).build();
        List<AttentionNode> found = AttentionNodes.find(OnnxModel.of(proto, Path.of("."), "test"));
        assertEquals(1, found.size());
        return found.get(0);
    }

    static String reason(AttentionNode node) {
        return node.keptReason().orElseThrow(() -> new AssertionError("expected the node to stay in ORT"));
    }

    static final String[] QKV = {"q", "k", "v"};
    static final String[] Y = {"y"};

    @Test
    void plainAttentionIsSubstituted() {
        AttentionNode node = classify(QKV, Y, 23, TinyGraph.intAttr("is_causal", 1),
                TinyGraph.floatAttr("scale", 0.5f));
        assertTrue(node.substituted());
        assertTrue(node.causal());
        assertEquals(0.5, node.scale().orElseThrow());
    }

    @Test
    void masksAndCachesStayInOrt() {
        assertTrue(reason(classify(new String[] {"q", "k", "v", "m"}, Y, 23)).contains("attn_mask"));
        assertTrue(reason(classify(new String[] {"q", "k", "v", "", "pk", "pv"}, Y, 23)).contains("past_key"));
        assertTrue(reason(classify(new String[] {"q", "k", "v", "", "", "", "lens"}, Y, 24))
                .contains("nonpad_kv_seqlen"));
    }

    @Test
    void extraOutputsStayInOrt() {
        assertTrue(reason(classify(QKV, new String[] {"y", "", "", "qk"}, 23)).contains("qk_matmul_output"));
        assertTrue(reason(classify(QKV, new String[] {"y", "present_k"}, 23)).contains("present_key"));
    }

    @Test
    void softcapStaysInOrt() {
        assertTrue(reason(classify(QKV, Y, 23, TinyGraph.floatAttr("softcap", 30f))).contains("softcap"));
    }

    @Test
    void anOldOpsetIsExplained() {
        assertTrue(reason(classify(QKV, Y, 21)).contains("opset 23"));
    }

    @Test
    void inconsistentHeadAttributesStayInOrt() {
        assertTrue(reason(classify(QKV, Y, 23, TinyGraph.intAttr("q_num_heads", 4))).contains("only one of"));
        assertTrue(reason(classify(QKV, Y, 23, TinyGraph.intAttr("q_num_heads", 3), TinyGraph.intAttr("kv_num_heads",
                2))).contains("multiple"));
    }

    @Test
    void vWithAnotherHeadSizeStaysInOrt() {
        TinyGraph g = new TinyGraph(1);
        g.input("q", 1, 2, 8, 16);
        g.input("k", 1, 2, 8, 16);
        g.input("v", 1, 2, 8, 32);
        g.graph().addNode(g.node("Attention", QKV, "y"));
        AttentionNode node = AttentionNodes.find(g.model("dv")).get(0);
        assertTrue(reason(node).contains("V's last axis"), reason(node));
    }

    @Test
    void multiHeadAttentionWithBiasOrCausalStaysInOrt() {
        TinyGraph g = new TinyGraph(1);
        g.input("q", 1, 8, 32);
        g.input("k", 1, 8, 32);
        g.input("v", 1, 8, 32);
        g.graph().addNode(g.node("MultiHeadAttention", new String[] {"q", "k", "v", "bias"}, "y1")
                .setDomain("com.microsoft").addAttribute(TinyGraph.intAttr("num_heads", 4)));
        g.graph().addNode(g.node("MultiHeadAttention", QKV, "y2").setDomain("com.microsoft")
                .addAttribute(TinyGraph.intAttr("num_heads", 4)).addAttribute(TinyGraph.intAttr("unidirectional", 1)));
        g.graph().addNode(g.node("MultiHeadAttention", QKV, "y3").setDomain("com.microsoft")
                .addAttribute(TinyGraph.intAttr("num_heads", 4)));
        List<AttentionNode> found = AttentionNodes.find(g.model("mha"));
        assertTrue(reason(found.get(0)).contains("projection bias"));
        assertTrue(reason(found.get(1)).contains("unidirectional"));
        assertTrue(found.get(2).substituted());
        assertEquals(AttentionOp.MS_MULTI_HEAD_ATTENTION, found.get(2).op());
    }

    @Test
    void otherOpsAreNotAttention() {
        TinyGraph g = new TinyGraph(1);
        g.input("q", 1, 2, 8, 16);
        g.graph().addNode(g.node("Attention", new String[] {"q"}, "y").setDomain("com.example"));
        g.graph().addNode(g.node("Relu", new String[] {"q"}, "z"));
        assertTrue(AttentionNodes.find(g.model("none")).isEmpty());
    }

    @Test
    void fusedAttentionOperatorsWeDoNotTakeAreListedWithTheReason() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 1, 8, 32);
        g.graph().addNode(g.node("Attention", new String[] {"x", "w", "b"}, "y").setDomain("com.microsoft")
                .addAttribute(TinyGraph.intAttr("num_heads", 4)));
        AttentionScan scan = AttentionNodes.scan(g.model("contrib attention"));
        assertTrue(scan.attention().isEmpty());
        assertEquals(1, scan.unmatched().size());
        assertEquals("com.microsoft::Attention node 'attention_0'", scan.unmatched().get(0).label());
        assertTrue(scan.unmatched().get(0).reason().contains("includes the Q/K/V projection"));
    }
}
