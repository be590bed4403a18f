package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.AttentionOp;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.UnmatchedAttention;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attention written out as MatMul → Softmax → MatMul, as PyTorch's TorchScript exporter and ONNX
 * Runtime's optimizer write it (fixtures from models/scripts/make_decomposed_attention_fixtures.py):
 * each form is found, cut out of the graph, and the partitioned graph with our backends matches ONNX
 * Runtime running the original graph whole.
 */
class DecomposedAttentionGraphsTest extends CpuRuntimeTest {
    static final Path FIXTURES = Path.of("src/test/resources/onnx/decomposed");

    static OnnxModel fixture(String name) {
        return OnnxModel.load(FIXTURES.resolve(name));
    }

    /** Runs {@code model} whole and partitioned with {@code backend}; returns the worst output's metrics. */
    static AccuracyMetrics compareWithOrt(OnnxModel model, PartitionPlan plan, AttentionBackend backend,
                                         Map<String, Long> dims) {
        try (WholeModel whole = WholeModel.open(model, runtime);
             PartitionedModel partitioned = new PartitionedModel(plan, backend, runtime)) {
            Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), dims, 3);
            RunResult expected = whole.run(inputs);
            RunResult actual = partitioned.run(inputs);
            assertEquals(plan.attentionSteps().size(), actual.attentionCalls().size(), "one call per attention step");
            return OutputComparison.compare(expected.outputs(), actual.outputs()).values().stream()
                    .min((a, b) -> Double.compare(a.cosineSimilarity(), b.cosineSimilarity())).orElseThrow();
        }
    }

    static AttentionNode onlyAttention(PartitionPlan plan) {
        assertEquals(1, plan.attentionNodes().size(), plan.describe());
        return plan.attentionNodes().get(0);
    }

    /** The fixture is cut at its one attention, which the CPU reference and the int8 emulator then run. */
    static AttentionNode assertSubstitutedAndMatching(String name, Map<String, Long> dims) {
        OnnxModel model = fixture(name);
        PartitionPlan plan = GraphPartitioner.partition(model);
        AttentionNode node = onlyAttention(plan);
        assertTrue(node.substituted(), name + ": " + node.keptReason().orElse(""));
        assertEquals(AttentionOp.DECOMPOSED, node.op());
        assertEquals(1, plan.attentionSteps().size());
        assertTrue(plan.unmatched().isEmpty(), plan.unmatched().toString());
        AccuracyMetrics reference = compareWithOrt(model, plan, new ReferenceAttention(), dims);
        assertTrue(reference.cosineSimilarity() >= 0.99999 && reference.maxAbsError() < 1e-4, name + ": " + reference);
        AccuracyMetrics sage = compareWithOrt(model, plan, new SageAttentionEmulator(), dims);
        assertTrue(sage.cosineSimilarity() >= 0.999, name + " with the int8 emulator: " + sage);
        return node;
    }

    @Test
    void eagerScoresTimesAConstantScaleWithKTransposedFromTheHeadsSplit() {
        AttentionNode node = assertSubstitutedAndMatching("eager_self_opset14.onnx", Map.of());
        assertEquals(0.125, node.scale().orElseThrow(), 1e-7);
        // torch folds view·transpose(1, 2)·transpose(-2, -1) into one Transpose [0, 2, 3, 1]: K is laid out again
        assertTrue(node.pattern().contains("Transpose [0, 2, 3, 1]"), node.pattern());
        assertTrue(node.pattern().contains("on scores"), node.pattern());
    }

    @Test
    void dynamicAxesExportAtOpset17() {
        AttentionNode node = assertSubstitutedAndMatching("eager_self_opset17_dynamic.onnx",
                Map.of("batch", 2L, "tokens", 40L));
        assertEquals(0.125, node.scale().orElseThrow(), 1e-7);
    }

    @Test
    void torchSdpaFormWithTheDefaultScaleComputedFromTheShape() {
        AttentionNode node = assertSubstitutedAndMatching("sdpa_opset14.onnx", Map.of());
        assertTrue(node.scale().isEmpty(), "1/sqrt(D) is the backends' default: " + node.scale());
        assertTrue(node.pattern().contains("on Q, Kᵀ"), node.pattern());
        assertEquals(List.of("query", "key", "value"), List.of(node.query(), node.key(), node.value()));
    }

    @Test
    void headsFoldedIntoTheBatchWithBaddbmmCrossAttention() {
        AttentionNode node = assertSubstitutedAndMatching("batched_heads_cross_opset14.onnx", Map.of());
        assertTrue(node.headsInBatch());
        assertTrue(node.pattern().contains("Add(zeros)"), "baddbmm's beta=0 term adds zeros: " + node.pattern());
    }

    @Test
    void keyReshapedStraightIntoItsTransposeGetsAnAddedTranspose() {
        AttentionNode node = assertSubstitutedAndMatching("pretransposed_key_cross_opset16.onnx", Map.of());
        assertEquals(0.125, node.scale().orElseThrow(), 1e-7);
        assertTrue(node.key().startsWith("sagestudio/"), "K is laid out by an added node: " + node.key());
        assertTrue(node.pattern().contains("added Transpose [0, 2, 1, 3]"), node.pattern());
    }

    @Test
    void aConstantCausalMaskIsTakenAsCausalAttention() {
        AttentionNode node = assertSubstitutedAndMatching("causal_mask_opset15.onnx", Map.of());
        assertTrue(node.causal());
    }

    @Test
    void aBiasComputedFromAnInputStaysInOrtWithTheReason() {
        PartitionPlan plan = GraphPartitioner.partition(fixture("position_bias_opset15.onnx"));
        AttentionNode node = onlyAttention(plan);
        assertFalse(node.substituted());
        assertTrue(node.keptReason().orElseThrow().contains("adds a mask or bias ('bias')"), node.keptReason().get());
        assertTrue(plan.attentionSteps().isEmpty());
    }

    @Test
    void attentionWeightsReadOutsideAreListedAsUnmatched() {
        PartitionPlan plan = GraphPartitioner.partition(fixture("weights_returned_opset14.onnx"));
        assertTrue(plan.attentionNodes().isEmpty());
        assertEquals(1, plan.unmatched().size());
        UnmatchedAttention miss = plan.unmatched().get(0);
        assertTrue(miss.reason().contains("also read by the graph's outputs"), miss.reason());
    }

    /**
     * ONNX Runtime's own graph optimizer rewrites the eager form (MatMul + Mul by a scalar, Transpose
     * folded into the product) into com.microsoft::FusedMatMul; the graph it saves is found too.
     */
    @Test
    void theFormOnnxRuntimesOptimizerSavesIsFoundToo(@TempDir Path saved) throws IOException {
        OnnxModel original = fixture("sdpa_opset14.onnx");
        try (OrtRuntime optimizing = OrtRuntime.cpu(1).saveOptimizedModelsIn(saved);
             WholeModel whole = WholeModel.open(original, optimizing)) {
            whole.inputNames(); // the session is open: its optimized graph is on disk
        }
        Path optimizedFile;
        try (Stream<Path> files = Files.list(saved)) {
            optimizedFile = files.filter(p -> p.toString().endsWith(".onnx")).findFirst().orElseThrow();
        }
        OnnxModel optimized = OnnxModel.load(optimizedFile);
        PartitionPlan plan = GraphPartitioner.partition(optimized);
        AttentionNode node = onlyAttention(plan);
        assertTrue(node.substituted(), node.keptReason().orElse("") + "\n" + node.pattern());
        AccuracyMetrics reference = compareWithOrt(optimized, plan, new ReferenceAttention(), Map.of());
        assertTrue(reference.cosineSimilarity() >= 0.99999 && reference.maxAbsError() < 1e-4, reference.toString());
        System.out.println("ONNX Runtime's optimized SDPA form: " + node.pattern());
    }

    /**
     * diffusers' SD3 MMDiT (one joint block with dual attention and q/k RMSNorm; random weights stored
     * as fp16) exported by torch 2.11's TorchScript exporter at opset 17 on the H100 machine
     * (models/import/check_import.py): joint attention over image + text tokens and the second
     * self-attention, both in the SDPA form with the scale computed from the shape.
     */
    @Test
    void diffusersSd3JointAttentionExportedByTorch2() {
        OnnxModel model = fixture("diffusers_sd3_mmdit_torchscript_opset17.onnx");
        PartitionPlan plan = GraphPartitioner.partition(model);
        assertEquals(2, plan.attentionSteps().size(), plan.describe());
        assertTrue(plan.unmatched().isEmpty(), plan.unmatched().toString());
        for (AttentionNode node : plan.attentionNodes()) {
            assertTrue(node.substituted(), node.keptReason().orElse(""));
            assertTrue(node.scale().isEmpty(), "the default 1/sqrt(D): " + node.pattern());
        }
        AccuracyMetrics reference = compareWithOrt(model, plan, new ReferenceAttention(), Map.of());
        assertTrue(reference.cosineSimilarity() >= 0.99999 && reference.maxAbsError() < 1e-4, reference.toString());
        AccuracyMetrics sage = compareWithOrt(model, plan, new SageAttentionEmulator(), Map.of());
        assertTrue(sage.cosineSimilarity() >= 0.999, "int8 emulator: " + sage);
    }
}
