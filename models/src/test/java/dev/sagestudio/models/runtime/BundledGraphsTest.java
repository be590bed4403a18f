package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The acceptance check on graphs PyTorch exported (torch.onnx.export, dynamo, opset 23, SDPA as
 * {@code Attention}): the bundled models, cut at every attention node with the CPU reference
 * running attention, match ONNX Runtime running them whole.
 */
class BundledGraphsTest {
    static final Path BUNDLED = Path.of("bundled");

    @TestFactory
    Stream<DynamicTest> everyBundledGraphMatchesOrtWithEveryAttentionNodeSubstituted() throws IOException {
        assumeTrue(Files.isDirectory(BUNDLED), "no bundled models in " + BUNDLED.toAbsolutePath() + "; nothing to check");
        List<Path> graphs;
        try (Stream<Path> walk = Files.walk(BUNDLED, 2)) {
            graphs = walk.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
        }
        assumeTrue(!graphs.isEmpty(), "no .onnx files under " + BUNDLED.toAbsolutePath());
        return graphs.stream().map(file -> DynamicTest.dynamicTest(BUNDLED.relativize(file).toString(), () -> {
            OnnxModel model = OnnxModel.load(file);
            PartitionPlan plan = GraphPartitioner.partition(model);
            assertFalse(plan.attentionNodes().isEmpty(), "the exporter wrote Attention nodes");
            for (AttentionNode node : plan.attentionNodes()) {
                assertTrue(node.substituted(), node.label() + ": " + node.keptReason().orElse(""));
            }
            try (OrtRuntime runtime = OrtRuntime.cpu(2);
                 WholeModel whole = WholeModel.open(model, runtime);
                 PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
                Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 7);
                RunResult expected = whole.run(inputs);
                RunResult actual = partitioned.run(inputs);
                assertEquals(plan.attentionSteps().size(), actual.attentionCalls().size());
                OutputComparison.compare(expected.outputs(), actual.outputs()).forEach((name, m) -> {
                    assertTrue(m.cosineSimilarity() >= 0.9999, name + ": " + m);
                    // float32 rounding grows with the values: an x-prediction denoiser returns
                    // (x - x0) / sigma, which random timesteps near 0 scale up to the thousands
                    double largest = Arrays.stream(expected.outputs().get(name).toDoubles()).map(Math::abs).max().orElse(0);
                    assertTrue(m.maxAbsError() < 1e-4 * Math.max(1, largest), name + ": " + m + ", max |output| " + largest);
                });
            }
        }));
    }
}
