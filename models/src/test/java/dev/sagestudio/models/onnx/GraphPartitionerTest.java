package dev.sagestudio.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cut: steps in dependency order, the tensors live across each cut, and initializers where they are used. */
class GraphPartitionerTest {

    @Test
    void tensorsLiveAcrossACutAreSegmentOutputsAndLaterInputs() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 1, 4, 8);
        g.graph().addNode(g.node("MatMul", new String[] {"x", g.weight("wq", 1, 8, 8)}, "q"));
        g.graph().addNode(g.node("MatMul", new String[] {"x", g.weight("wk", 1, 8, 8)}, "k"));
        g.graph().addNode(g.node("MatMul", new String[] {"x", g.weight("wv", 1, 8, 8)}, "v"));
        g.graph().addNode(g.node("Attention", new String[] {"q", "k", "v"}, "a")
                .addAttribute(TinyGraph.intAttr("q_num_heads", 2)).addAttribute(TinyGraph.intAttr("kv_num_heads", 2)));
        // The residual reads x again after the cut: x must reach the second segment.
        g.graph().addNode(g.node("Add", new String[] {"a", "x"}, "y"));
        g.output("y", 1, 4, 8);
        PartitionPlan plan = GraphPartitioner.partition(g.model("residual"));

        assertEquals(3, plan.steps().size());
        OrtSegment first = assertInstanceOf(OrtSegment.class, plan.steps().get(0));
        assertEquals(List.of("x"), first.inputs());
        assertEquals(List.of("q", "k", "v"), first.outputs());
        assertEquals(List.of("wq", "wk", "wv"), first.initializers());
        AttentionStep attention = assertInstanceOf(AttentionStep.class, plan.steps().get(1));
        assertEquals(List.of("q", "k", "v"), attention.inputs());
        OrtSegment last = assertInstanceOf(OrtSegment.class, plan.steps().get(2));
        assertEquals(List.of("a", "x"), last.inputs());
        assertEquals(List.of("y"), last.outputs());
        assertTrue(last.initializers().isEmpty(), "weights go only where they are used");
        assertEquals(0, last.model().getGraph().getInitializerCount());
    }

    @Test
    void nodesListedOutOfOrderAreSortedByDependencies() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 2, 2);
        g.graph().addNode(g.node("Relu", new String[] {"h"}, "y"));
        g.graph().addNode(g.node("Neg", new String[] {"x"}, "h"));
        g.output("y", 2, 2);
        PartitionPlan plan = GraphPartitioner.partition(g.model("unsorted"));
        OrtSegment only = assertInstanceOf(OrtSegment.class, plan.steps().get(0));
        assertEquals(List.of(1, 0), only.nodeIndices());
    }

    @Test
    void outerScopeNamesUsedInsideSubgraphsCrossTheCut() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 1, 4, 8);
        g.input("flag");
        g.graph().addNode(g.node("Attention", new String[] {"x", "x", "x"}, "a")
                .addAttribute(TinyGraph.intAttr("q_num_heads", 2)).addAttribute(TinyGraph.intAttr("kv_num_heads", 2)));
        GraphProto branch = GraphProto.newBuilder().setName("branch")
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("a").addInput("x").addOutput("r"))
                .addOutput(TinyGraph.valueInfo("r", ElementTypes.FLOAT, 1, 4, 8)).build();
        g.graph().addNode(g.node("If", new String[] {"flag"}, "y")
                .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                        .setG(branch))
                .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                        .setG(branch)));
        g.output("y", 1, 4, 8);
        PartitionPlan plan = GraphPartitioner.partition(g.model("subgraph"));
        OrtSegment last = assertInstanceOf(OrtSegment.class, plan.steps().get(1));
        assertEquals(List.of("flag", "a", "x"), last.inputs());
    }

    @Test
    void aTensorNobodyProducesIsNamed() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 2, 2);
        g.graph().addNode(g.node("Add", new String[] {"x", "ghost"}, "y"));
        g.output("y", 2, 2);
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> GraphPartitioner.partition(g.model("m")));
        assertTrue(e.getMessage().contains("'ghost'"), e.getMessage());
    }

    @Test
    void aCycleIsRefused() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 2, 2);
        g.graph().addNode(g.node("Add", new String[] {"x", "b"}, "a"));
        g.graph().addNode(g.node("Relu", new String[] {"a"}, "b"));
        g.output("b", 2, 2);
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> GraphPartitioner.partition(g.model("m")));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }

    @Test
    void aGraphOutputNoNodeWritesIsRefusedWhenOpening() {
        // The bundle fuzz test found this: a bit flip renamed the denoiser's output, and the run failed only after
        // the first step with an internal error.
        TinyGraph g = new TinyGraph(1);
        g.input("x", 2, 2);
        g.graph().addNode(g.node("Relu", new String[] {"x"}, "y"));
        g.output("model_output", 2, 2);
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> GraphPartitioner.partition(g.model("m")));
        assertTrue(e.getMessage().contains("graph output 'model_output' is written by no node"), e.getMessage());
    }
}
