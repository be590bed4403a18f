package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Tiny transformer graphs run two ways — ONNX Runtime alone, and cut at the attention nodes with the
 * CPU reference backend running attention — must agree to within float rounding.
 */
class PartitionedModelTest extends CpuRuntimeTest {
    static final long B = 2;
    static final long N = 12;
    static final long WIDTH = 32;

    static HostArray randomInput(long seed, long... shape) {
        Random random = new Random(seed);
        float[] values = new float[(int) HostArray.elementCount(shape)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return HostArray.ofFloats(ElementTypes.FLOAT, shape, values);
    }

    /** Runs both ways, asserts agreement, returns the plan for further checks. */
    static PartitionPlan assertMatchesOrt(OnnxModel model, Map<String, HostArray> inputs) {
        return assertMatchesOrtRun(model, inputs).plan();
    }

    record Checked(PartitionPlan plan, RunResult run) {
    }

    static Checked assertMatchesOrtRun(OnnxModel model, Map<String, HostArray> inputs) {
        PartitionPlan plan = GraphPartitioner.partition(model);
        RunResult expected;
        try (WholeModel whole = WholeModel.open(model, runtime)) {
            expected = whole.run(inputs);
        }
        RunResult actual;
        try (PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            actual = partitioned.run(inputs);
        }
        assertEquals(plan.attentionSteps().size(), actual.attentionCalls().size(), "one call per attention step");
        Map<String, AccuracyMetrics> metrics = OutputComparison.compare(expected.outputs(), actual.outputs());
        metrics.forEach((name, m) -> {
            assertTrue(m.cosineSimilarity() >= 0.9999, name + ": " + m);
            assertTrue(m.maxAbsError() < 1e-4, name + ": " + m);
        });
        return new Checked(plan, actual);
    }

    static OnnxModel singleBlock(Layer layer) {
        TinyGraph g = new TinyGraph(7);
        String x = g.input("x", B, N, WIDTH);
        String y = g.attentionBlock(x, WIDTH, x, WIDTH, layer);
        g.graph().addNode(g.node("Identity", new String[] {y}, "y"));
        g.output("y", B, N, WIDTH);
        return g.model("single block");
    }

    @Test
    void aShapeTheBackendRefusesRunsOnTheFallbackBackendAndIsReportedOncePerNode() {
        // head dim 8: the SageAttention emulator (like the GPU kernels) takes 64 and 128 only
        OnnxModel model = singleBlock(Layer.self(4, 8));
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = Map.of("x", randomInput(30, B, N, WIDTH));
        RunResult expected;
        try (WholeModel whole = WholeModel.open(model, runtime)) {
            expected = whole.run(inputs);
        }
        AttentionSteps steps = AttentionSteps.onHost(new dev.sagestudio.attention.cpu.SageAttentionEmulator(),
                new ReferenceAttention());
        try (PartitionedModel partitioned = new PartitionedModel(plan, steps, runtime)) {
            RunResult first = partitioned.run(inputs);
            partitioned.run(inputs);
            OutputComparison.compare(expected.outputs(), first.outputs()).forEach((name, m) ->
                    assertTrue(m.cosineSimilarity() >= 0.9999, name + ": " + m));
            assertEquals(1, steps.fallbacks().size(), steps.fallbacks().toString());
            String message = steps.fallbacks().get(0);
            assertTrue(message.contains("head dim") && message.endsWith("ran cpu-reference instead"), message);
        }
        // without a fallback the refusal stops the run with the backend's reason
        try (PartitionedModel strict = new PartitionedModel(plan,
                AttentionSteps.onHost(new dev.sagestudio.attention.cpu.SageAttentionEmulator()), runtime)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> strict.run(inputs));
            assertTrue(String.valueOf(e.getMessage()).contains("head dim"), e.toString());
        }
    }

    @Test
    void selfAttentionIn3dFormIsSubstitutedAndMatches() {
        PartitionPlan plan = assertMatchesOrt(singleBlock(Layer.self(4, 8)), Map.of("x", randomInput(1, B, N, WIDTH)));
        assertEquals(1, plan.attentionSteps().size());
        assertEquals(2, plan.segmentCount(), "projections before, output projection after");
    }

    @Test
    void selfAttentionIn4dFormIsSubstitutedAndMatches() {
        PartitionPlan plan = assertMatchesOrt(singleBlock(Layer.self(4, 8).fourD()),
                Map.of("x", randomInput(2, B, N, WIDTH)));
        assertEquals(1, plan.attentionSteps().size());
    }

    @Test
    void causalAttentionMatchesInBothForms() {
        assertMatchesOrt(singleBlock(Layer.self(4, 8).causal()), Map.of("x", randomInput(3, B, N, WIDTH)));
        assertMatchesOrt(singleBlock(Layer.self(4, 8).causal().fourD()), Map.of("x", randomInput(4, B, N, WIDTH)));
    }

    @Test
    void groupedQueryAttentionMatchesInBothForms() {
        assertMatchesOrt(singleBlock(Layer.self(4, 8).gqa(2)), Map.of("x", randomInput(5, B, N, WIDTH)));
        PartitionPlan plan = assertMatchesOrt(singleBlock(Layer.self(8, 4).gqa(2).fourD()),
                Map.of("x", randomInput(6, B, N, WIDTH)));
        assertTrue(plan.attentionNodes().get(0).substituted());
    }

    @Test
    void anExplicitSoftmaxScaleIsHonouredInBothOperators() {
        assertMatchesOrt(singleBlock(Layer.self(4, 8).scaled(0.9f)), Map.of("x", randomInput(20, B, N, WIDTH)));
        assertMatchesOrt(singleBlock(Layer.self(4, 8).scaled(0.9f).microsoft()),
                Map.of("x", randomInput(21, B, N, WIDTH)));
    }

    @Test
    void crossAttentionWithAnotherLengthMatches() {
        TinyGraph g = new TinyGraph(11);
        String x = g.input("x", B, N, WIDTH);
        String ctx = g.input("ctx", B, 5, 24);
        String y = g.attentionBlock(x, WIDTH, ctx, 24, Layer.self(4, 8));
        g.graph().addNode(g.node("Identity", new String[] {y}, "y"));
        g.output("y", B, N, WIDTH);
        assertMatchesOrt(g.model("cross"), Map.of("x", randomInput(7, B, N, WIDTH), "ctx", randomInput(8, B, 5, 24)));
    }

    /** Two blocks of self-attention (4D form), cross-attention to {@code ctx} and an MLP: 4 attention steps. */
    static OnnxModel twoBlocks() {
        TinyGraph g = new TinyGraph(13);
        String x = g.input("x", B, N, WIDTH);
        String ctx = g.input("ctx", B, 6, 16);
        String h = x;
        for (int block = 0; block < 2; block++) {
            h = g.attentionBlock(h, WIDTH, h, WIDTH, Layer.self(4, 8).fourD());
            h = g.attentionBlock(h, WIDTH, ctx, 16, Layer.self(2, 16));
            h = g.mlp(h, WIDTH);
        }
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", B, N, WIDTH);
        return g.model("two blocks");
    }

    @Test
    void theStepsRunInTwoRangesGiveWhatTheWholeRunGives() {
        PartitionPlan plan = GraphPartitioner.partition(twoBlocks());
        Map<String, HostArray> inputs = Map.of("x", randomInput(9, B, N, WIDTH), "ctx", randomInput(10, B, 6, 16));
        try (PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            assertThrows(IllegalStateException.class, partitioned::recordableSteps, "no session is open yet");
            RunResult whole = partitioned.run(inputs);
            assertEquals(new PartitionedModel.StepRange(0, partitioned.stepCount()), partitioned.recordableSteps(),
                    "on the CPU EP no segment copies through the host");
            assertEquals(List.of(), partitioned.segmentsCopyingThroughTheHost());
            int n = partitioned.stepCount();
            assertEquals(Set.of("x", "ctx"), partitioned.namesReadFrom(0), "before the first step: the graph's inputs");
            assertEquals(Set.of("y"), partitioned.namesReadFrom(n), "after the last step: the output");
            for (int cut = 1; cut < n; cut++) {
                Map<String, OrtTensor> given = new java.util.HashMap<>();
                inputs.forEach((name, array) -> given.put(name, OrtTensor.copyOf(array)));
                try (PartitionedModel.Resident first = partitioned.runSteps(0, cut, given)) {
                    Set<String> crossing = new java.util.HashSet<>(partitioned.namesReadFrom(cut));
                    crossing.removeAll(inputs.keySet());
                    crossing.remove("y");
                    assertEquals(crossing, first.outputs().keySet(), "what steps 0.." + (cut - 1) + " pass on");
                    Map<String, OrtTensor> rest = new java.util.HashMap<>(given);
                    rest.putAll(first.outputs());
                    try (PartitionedModel.Resident second = partitioned.runSteps(cut, n, rest)) {
                        double[] expected = whole.outputs().get("y").toDoubles();
                        double[] actual = second.outputs().get("y").toHost().toDoubles();
                        assertArrayEquals(expected, actual, 0.0, "cut before step " + cut);
                    }
                } finally {
                    given.values().forEach(OrtTensor::close);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> partitioned.runSteps(1, n, Map.of()),
                    "steps from 1 read what step 0 makes, which was not given");
        }
    }

    @Test
    void severalAttentionNodesPerBlockAndSeveralBlocksMatch() {
        Checked checked = assertMatchesOrtRun(twoBlocks(),
                Map.of("x", randomInput(9, B, N, WIDTH), "ctx", randomInput(10, B, 6, 16)));
        assertEquals(4, checked.plan().attentionSteps().size());
        assertEquals(5, checked.plan().segmentCount());
        // Every copy the runner makes is counted: 2 inputs in, 1 output out, Q/K/V in and O out per attention step.
        Transfers transfers = checked.run().transfers();
        assertEquals(2, transfers.uploads());
        assertEquals(1, transfers.downloads());
        assertEquals(4 * 4, transfers.staging());
        assertEquals(B * N * WIDTH * 4, transfers.downloadBytes());
    }

    @Test
    void maskedAttentionStaysInOrtWithItsReasonWhileTheOtherIsSubstituted() {
        TinyGraph g = new TinyGraph(17);
        String x = g.input("x", B, N, WIDTH);
        String mask = g.weight("mask", 1.0f, N, N);
        String h = g.attentionBlock(x, WIDTH, x, WIDTH, Layer.self(4, 8).masked(mask));
        h = g.attentionBlock(h, WIDTH, h, WIDTH, Layer.self(4, 8));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", B, N, WIDTH);
        PartitionPlan plan = assertMatchesOrt(g.model("masked"), Map.of("x", randomInput(12, B, N, WIDTH)));
        List<AttentionNode> nodes = plan.attentionNodes();
        assertEquals(2, nodes.size());
        assertTrue(nodes.get(0).keptReason().orElseThrow().contains("attn_mask"), nodes.get(0).keptReason().get());
        assertTrue(nodes.get(1).substituted());
        assertEquals(1, plan.attentionSteps().size());
    }

    @Test
    void causalCrossAttentionIsAlignedTopLeftLikeOrt() {
        TinyGraph g = new TinyGraph(19);
        String x = g.input("x", B, N, WIDTH);
        String ctx = g.input("ctx", B, N + 5, WIDTH);
        String y = g.attentionBlock(x, WIDTH, ctx, WIDTH, Layer.self(4, 8).causal().fourD());
        g.graph().addNode(g.node("Identity", new String[] {y}, "y"));
        g.output("y", B, N, WIDTH);
        assertMatchesOrt(g.model("causal cross"),
                Map.of("x", randomInput(14, B, N, WIDTH), "ctx", randomInput(15, B, N + 5, WIDTH)));
    }

    @Test
    void aBackendThatIgnoresTheCausalFlagIsCaught() {
        // Guards the comparison itself: attention computed without the mask must not pass as a match.
        OnnxModel model = singleBlock(Layer.self(4, 8).causal());
        Map<String, HostArray> inputs = Map.of("x", randomInput(16, B, N, WIDTH));
        AttentionBackend ignoresMask = new AttentionBackend() {
            final ReferenceAttention reference = new ReferenceAttention();

            @Override
            public String name() {
                return "test-non-causal";
            }

            @Override
            public Optional<String> unsupportedReason(AttentionShape shape) {
                return Optional.empty();
            }

            @Override
            public HostTensor compute(AttentionRequest r) {
                return reference.compute(new AttentionRequest(r.q(), r.k(), r.v(), false, r.softmaxScale()));
            }
        };
        RunResult expected;
        try (WholeModel whole = WholeModel.open(model, runtime)) {
            expected = whole.run(inputs);
        }
        try (PartitionedModel wrong = new PartitionedModel(GraphPartitioner.partition(model), ignoresMask, runtime)) {
            AccuracyMetrics m = OutputComparison.compare(expected.outputs(), wrong.run(inputs).outputs()).get("y");
            assertTrue(m.cosineSimilarity() < 0.9999 || m.maxAbsError() > 1e-3, m.toString());
        }
    }

    @Test
    void float16AttentionMatchesOrtToHalfPrecision() {
        // Q, K, V cast to float16 before attention, the output cast back: the step reads and writes fp16.
        TinyGraph g = new TinyGraph(23);
        String x = g.input("x", B, N, WIDTH);
        String[] qkv = new String[3];
        for (int i = 0; i < 3; i++) {
            String p = g.op("MatMul", x, g.weight("w" + i, 0.4f, WIDTH, WIDTH));
            qkv[i] = "half" + i;
            g.graph().addNode(g.node("Cast", new String[] {p}, qkv[i]).addAttribute(TinyGraph.intAttr("to",
                    ElementTypes.FLOAT16)));
        }
        g.graph().addNode(g.node("Attention", qkv, "a16").addAttribute(TinyGraph.intAttr("q_num_heads", 4))
                .addAttribute(TinyGraph.intAttr("kv_num_heads", 4)).addAttribute(TinyGraph.intAttr("is_causal", 1)));
        g.graph().addNode(g.node("Cast", new String[] {"a16"}, "y").addAttribute(TinyGraph.intAttr("to",
                ElementTypes.FLOAT)));
        g.output("y", B, N, WIDTH);
        OnnxModel model = g.model("fp16");
        Map<String, HostArray> inputs = Map.of("x", randomInput(18, B, N, WIDTH));
        RunResult expected;
        try (WholeModel whole = WholeModel.open(model, runtime)) {
            expected = whole.run(inputs);
        }
        try (PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(model),
                new ReferenceAttention(), runtime)) {
            RunResult actual = partitioned.run(inputs);
            assertEquals("fp16", actual.attentionCalls().get(0).shape().dtype().label());
            AccuracyMetrics m = OutputComparison.compare(expected.outputs(), actual.outputs()).get("y");
            assertTrue(m.cosineSimilarity() >= 0.9999, m.toString());
            assertTrue(m.maxAbsError() < 5e-3, m.toString()); // a few fp16 ulps at these magnitudes
        }
    }

    @Test
    void repeatedRunsGiveIdenticalOutputsAndSurviveGarbageCollection() {
        // Native tensors are freed explicitly; collecting the Java wrappers must not free anything twice.
        OnnxModel model = singleBlock(Layer.self(4, 8).fourD());
        Map<String, HostArray> inputs = Map.of("x", randomInput(17, B, N, WIDTH));
        try (PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(model),
                new ReferenceAttention(), runtime)) {
            byte[] first = partitioned.run(inputs).outputs().get("y").bytes();
            for (int i = 0; i < 30; i++) {
                if (i % 10 == 0) {
                    System.gc();
                }
                assertArrayEquals(first, partitioned.run(inputs).outputs().get("y").bytes());
            }
        }
    }

    @Test
    void microsoftMultiHeadAttentionIsSubstitutedAndMatches() {
        PartitionPlan plan = assertMatchesOrt(singleBlock(Layer.self(4, 8).microsoft()),
                Map.of("x", randomInput(13, B, N, WIDTH)));
        assertEquals(1, plan.attentionSteps().size());
    }
}
