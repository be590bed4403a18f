package dev.sagestudio.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The decomposed forms, node by node: what is taken (with its scale, causal flag and covered nodes),
 * what is kept in ONNX Runtime, and the reason given for each near miss.
 */
class DecomposedAttentionTest {
    static final long B = 1;
    static final long H = 2;
    static final long N = 6;
    static final long D = 64;

    /** Inputs q, k, v [B, H, N, D]; returns kᵀ, as exporters write it. */
    static String qkvWithTransposedKey(TinyGraph g) {
        g.input("q", B, H, N, D);
        g.input("k", B, H, N, D);
        g.input("v", B, H, N, D);
        return g.op2("Transpose", new String[] {"k"}, TinyGraph.intsAttr("perm", 0, 1, 3, 2));
    }

    /** q, k, v inputs [B, H, N, D]; {@code scores} turns MatMul(q, kᵀ) into the Softmax's input. */
    static TinyGraph graph(UnaryOperator<String> scores, TinyGraph g) {
        String kt = qkvWithTransposedKey(g);
        String s = scores.apply(g.op("MatMul", "q", kt));
        String p = g.op2("Softmax", new String[] {s}, TinyGraph.intAttr("axis", -1));
        g.graph().addNode(g.node("MatMul", new String[] {p, "v"}, "y"));
        g.output("y", B, H, N, D);
        return g;
    }

    static AttentionScan scan(UnaryOperator<String> scores) {
        return AttentionNodes.scan(graph(scores, new TinyGraph(1)).model("decomposed"));
    }

    static String scalar(TinyGraph g, String name, float value) {
        g.graph().addInitializer(TensorProto.newBuilder().setName(name).setDataType(ElementTypes.FLOAT)
                .addFloatData(value));
        return name;
    }

    @Test
    void withoutAScaleNodeTheScaleIsOne() {
        AttentionNode node = scan(s -> s).attention().get(0);
        assertTrue(node.substituted());
        assertEquals(1.0, node.scale().orElseThrow());
        assertEquals(List.of("q", "k", "v", "y"), List.of(node.query(), node.key(), node.value(), node.output()));
        assertEquals(4, node.coveredNodes().size(), "Transpose, MatMul, Softmax, MatMul: " + node.coveredNodes());
    }

    @Test
    void divisionByAConstantIsItsInverse() {
        TinyGraph g = new TinyGraph(1);
        AttentionNode node = AttentionNodes.scan(graph(s -> g.op("Div", s, scalar(g, "eight", 8f)), g)
                .model("div")).attention().get(0);
        assertEquals(0.125, node.scale().orElseThrow(), 1e-9);
        assertTrue(node.pattern().contains("MatMul(Q, Kᵀ) → Div → Softmax"), node.pattern());
    }

    @Test
    void castsAroundAnFp32SoftmaxAndDropoutArePartOfTheAttention() {
        TinyGraph g = new TinyGraph(1);
        String kt = qkvWithTransposedKey(g);
        String up = g.op2("Cast", new String[] {g.op("MatMul", "q", kt)}, TinyGraph.intAttr("to", ElementTypes.FLOAT));
        String p = g.op2("Softmax", new String[] {up}, TinyGraph.intAttr("axis", 3));
        String down = g.op2("Cast", new String[] {p}, TinyGraph.intAttr("to", ElementTypes.FLOAT));
        String dropped = g.op("Dropout", down);
        g.graph().addNode(g.node("MatMul", new String[] {dropped, "v"}, "y"));
        g.output("y", B, H, N, D);
        AttentionNode node = AttentionNodes.scan(g.model("casts")).attention().get(0);
        assertTrue(node.substituted(), node.keptReason().orElse(""));
        assertEquals(7, node.coveredNodes().size(), node.pattern());
    }

    @Test
    void aWhereMaskKeepsTheAttentionInOrtWithTheReason() {
        TinyGraph g = new TinyGraph(1);
        g.input("keep", 1, 1, N, N);
        AttentionNode node = AttentionNodes.scan(graph(s -> g.op("Where", "keep", s, scalar(g, "ninf", -1e9f)), g)
                .model("where")).attention().get(0);
        assertFalse(node.substituted());
        assertTrue(node.keptReason().orElseThrow().contains("masks the scores with Where (condition 'keep')"));
    }

    @Test
    void aScaleThatIsNeitherConstantNorOneOverRootDIsUnmatched() {
        TinyGraph g = new TinyGraph(1);
        // Shape(q)[-1] multiplied in directly: scale D, not 1/sqrt(D).
        AttentionScan scan = AttentionNodes.scan(graph(s -> {
            String shape = g.op("Shape", "q");
            String last = g.op("Slice", shape, g.int64s("start", -1), g.int64s("end", Long.MAX_VALUE));
            String d = g.op2("Cast", new String[] {last}, TinyGraph.intAttr("to", ElementTypes.FLOAT));
            return g.op("Mul", s, d);
        }, g).model("odd scale"));
        assertTrue(scan.attention().isEmpty());
        assertEquals(1, scan.unmatched().size());
        assertTrue(scan.unmatched().get(0).reason().contains("neither a constant nor 1/sqrt(head size)"),
                scan.unmatched().get(0).reason());
    }

    @Test
    void weightsAsTheRightHandFactorAreUnmatched() {
        TinyGraph g = new TinyGraph(1);
        g.input("q", B, H, N, D);
        g.input("k", B, H, N, D);
        g.input("vt", B, H, D, N);
        String kt = g.op2("Transpose", new String[] {"k"}, TinyGraph.intsAttr("perm", 0, 1, 3, 2));
        String p = g.op2("Softmax", new String[] {g.op("MatMul", "q", kt)}, TinyGraph.intAttr("axis", -1));
        g.graph().addNode(g.node("MatMul", new String[] {"vt", p}, "y"));
        g.output("y", B, H, D, N);
        AttentionScan scan = AttentionNodes.scan(g.model("vt p"));
        assertTrue(scan.attention().isEmpty());
        assertTrue(scan.unmatched().get(0).reason().contains("right-hand factor"), scan.unmatched().toString());
    }

    @Test
    void aSoftmaxThatIsNoAttentionIsNotListed() {
        TinyGraph g = new TinyGraph(1);
        g.input("logits", 1, 10);
        g.graph().addNode(g.node("Softmax", new String[] {"logits"}, "p"));
        g.output("p", 1, 10);
        AttentionScan scan = AttentionNodes.scan(g.model("classifier"));
        assertTrue(scan.attention().isEmpty());
        assertTrue(scan.unmatched().isEmpty());
    }

    @Test
    void aScaledQueryAlsoReadElsewhereStaysInItsSegment() {
        TinyGraph g = new TinyGraph(1);
        g.input("q", B, H, N, D);
        g.input("k", B, H, N, D);
        g.input("v", B, H, N, D);
        String qs = g.op("Mul", "q", scalar(g, "c", 0.125f));
        String kt = g.op2("Transpose", new String[] {"k"}, TinyGraph.intsAttr("perm", 0, 1, 3, 2));
        String p = g.op2("Softmax", new String[] {g.op("MatMul", qs, kt)}, TinyGraph.intAttr("axis", -1));
        g.graph().addNode(g.node("MatMul", new String[] {p, "v"}, "y"));
        g.graph().addNode(g.node("Identity", new String[] {qs}, "q_scaled_out"));
        g.output("y", B, H, N, D);
        g.output("q_scaled_out", B, H, N, D);
        PartitionPlan plan = GraphPartitioner.partition(g.model("shared scale"));
        AttentionNode node = plan.attentionNodes().get(0);
        assertTrue(node.substituted());
        assertEquals(0.125, node.scale().orElseThrow(), 1e-9);
        assertEquals("q", node.query());
        OrtSegment first = (OrtSegment) plan.steps().get(0);
        assertTrue(first.nodeIndices().contains(0), "the Mul stays: its output is also a graph output");
    }
}
