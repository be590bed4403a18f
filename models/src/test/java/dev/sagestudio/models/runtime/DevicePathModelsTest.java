package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.DeviceMemoryPlanTest.CountingMemory;
import dev.sagestudio.models.runtime.InPlaceKernelStepsTest.HostAddressKernel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The models {@link DevicePathGpuTest} runs on the GPU, checked on the CPU through the same plan of
 * allocations and bindings: every attention node is ours, at a head dim our kernels have, and the
 * in-place path over counting memory matches ONNX Runtime with no copy between steps.
 */
class DevicePathModelsTest {

    @Test
    void theGpuTestModelsRunThroughTheDevicePlanOnTheCpu() {
        assertRunInPlace(DevicePathGpuTest.tinyModels());
    }

    /**
     * Attention written out as MatMul → Softmax → MatMul (exporter fixtures, head dim 64): the added
     * Transpose that lays out K, heads folded into the batch, and diffusers' SD3 block exported by torch
     * 2.11 run in place too, with no staging copy.
     */
    @Test
    void decomposedAttentionRunsThroughTheDevicePlanOnTheCpu() {
        Map<String, OnnxModel> models = new java.util.LinkedHashMap<>();
        for (String name : List.of("sdpa_opset14.onnx", "pretransposed_key_cross_opset16.onnx",
                "batched_heads_cross_opset14.onnx", "diffusers_sd3_mmdit_torchscript_opset17.onnx")) {
            models.put(name, DecomposedAttentionGraphsTest.fixture(name));
        }
        assertRunInPlace(models);
    }

    static void assertRunInPlace(Map<String, OnnxModel> models) {
        int i = 0;
        try (OrtRuntime runtime = OrtRuntime.cpu(2)) {
            for (Map.Entry<String, OnnxModel> entry : models.entrySet()) {
                OnnxModel model = entry.getValue();
                PartitionPlan plan = GraphPartitioner.partition(model);
                assertTrue(plan.attentionSteps().size() >= 1, entry.getKey());
                for (AttentionNode node : plan.attentionNodes()) {
                    assertTrue(node.substituted(), entry.getKey() + ": " + node.keptReason().orElse(""));
                }
                Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 70 + i++);
                CountingMemory counting = new CountingMemory();
                TensorMemory memory = TensorMemory.device(counting, OrtRuntime.hostMemory(), false);
                HostAddressKernel kernel = new HostAddressKernel();
                RunResult expected;
                try (WholeModel whole = WholeModel.open(model, runtime)) {
                    expected = whole.run(inputs);
                }
                try (PartitionedModel partitioned = new PartitionedModel(plan,
                        new InPlaceKernelSteps(kernel, 0, memory), runtime, memory)) {
                    RunResult actual = partitioned.run(inputs);
                    for (var call : actual.attentionCalls()) {
                        int d = call.shape().headDim();
                        assertTrue(d == 64 || d == 128, entry.getKey() + ": " + call.shape().describe());
                    }
                    assertEquals(0, actual.transfers().staging());
                    assertEquals(plan.graphInputs().size(), counting.copiesIn, entry.getKey());
                    assertEquals(plan.graphOutputs().size(), counting.copiesOut, entry.getKey());
                    assertEquals(0, counting.live, entry.getKey());
                    for (AccuracyMetrics m : OutputComparison.compare(expected.outputs(), actual.outputs()).values()) {
                        // Relative: these outputs reach the hundreds, where float32 rounding alone exceeds 1e-4 absolute.
                        assertTrue(m.cosineSimilarity() >= 0.9999 && m.relativeL1() < 1e-5, entry.getKey() + ": " + m);
                    }
                }
            }
        }
    }
}
