package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.device.CapturedSteps;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bundled denoiser's step recorded as one CUDA graph on the device path ({@link CapturedSteps}): each launch gives
 * what the same step gives run segment by segment, for new inputs too (they go into the recorded buffers), another
 * unrecorded run between two launches changes nothing, and closing gives back what the recording held. Skips, printing
 * why, without a GPU (fails instead with {@code -Dsagestudio.gpu.required=true}).
 */
@Tag("gpu")
class CapturedStepsGpuTest {
    @ParameterizedTest
    @ValueSource(strings = {"flash-fp16", "sage-int8-fp16"})
    void aRecordedStepGivesWhatTheStepGivesRunSegmentBySegment(String backend) {
        Path denoiser = DevicePathGpuTest.bundledDenoiserOrSkip();
        try (DeviceOnnxPath device = DevicePathGpuTest.openOrSkip(backend)) {
            OnnxModel model = OnnxModel.load(denoiser);
            PartitionPlan plan = GraphPartitioner.partition(model);
            Map<String, HostArray> first = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 11);
            Map<String, HostArray> second = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 12);
            device.queueRunsWithoutWaiting();
            try (PartitionedModel partitioned = device.partitioned(plan)) {
                RunResult expectedFirst = partitioned.run(first);
                RunResult expectedSecond = partitioned.run(second);
                long liveBefore = device.liveDeviceAllocations();
                try (CapturedSteps graph = device.record(partitioned, first, partitioned.recordableSteps())) {
                    System.out.printf("%s: recorded %s of %d of the bundled denoiser, %d operations%n", backend,
                            graph.recorded().describe(), partitioned.stepCount(), graph.recordedOperations());
                    assertMatches("first launch", expectedFirst, graph.run(first));
                    assertMatches("launch with new inputs", expectedSecond, graph.run(second));
                    partitioned.run(first); // an unrecorded run between two launches
                    assertMatches("launch after an unrecorded run", expectedSecond, graph.run(second));
                    assertEquals(List.of(), graph.lastNonFinite());
                    assertThrows(IllegalArgumentException.class, () -> graph.run(Map.of()),
                            "inputs of another shape (here: none) are refused");
                }
                // The last steps left out of the graph (as where their segment copies through the host) run after
                // each launch, unrecorded: the outputs are the same.
                PartitionedModel.StepRange all = partitioned.recordableSteps();
                PartitionedModel.StepRange shorter = new PartitionedModel.StepRange(all.from(), all.to() - 2);
                try (CapturedSteps graph = device.record(partitioned, first, shorter)) {
                    assertMatches("first launch, last two steps unrecorded", expectedFirst, graph.run(first));
                    assertMatches("launch with new inputs, last two steps unrecorded", expectedSecond,
                            graph.run(second));
                    assertEquals(expectedSecond.attentionCalls().size(), graph.recordedAttentionCalls(),
                            "the unrecorded steps' attention calls count too");
                }
                assertTrue(device.liveDeviceAllocations() <= liveBefore + 16, "device buffers after closing: "
                        + device.liveDeviceAllocations() + " (before recording " + liveBefore + ")");
            }
        }
    }

    private static void assertMatches(String what, RunResult expected, RunResult actual) {
        OutputComparison.compare(expected.outputs(), actual.outputs()).forEach((name, m) -> assertTrue(
                m.cosineSimilarity() >= 0.999999 && m.relativeL1() <= 1e-5, what + ", output " + name + ": " + m));
    }

    @ParameterizedTest
    @ValueSource(strings = {"flash-fp16"})
    void aPathWhoseRunsWaitForTheStreamRefusesToRecord(String backend) {
        Path denoiser = DevicePathGpuTest.bundledDenoiserOrSkip();
        try (DeviceOnnxPath device = DevicePathGpuTest.openOrSkip(backend)) {
            OnnxModel model = OnnxModel.load(denoiser);
            PartitionPlan plan = GraphPartitioner.partition(model);
            Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 11);
            try (PartitionedModel partitioned = device.partitioned(plan)) {
                IllegalStateException refused = assertThrows(IllegalStateException.class,
                        () -> device.record(partitioned, inputs, new PartitionedModel.StepRange(0, 1)));
                assertTrue(refused.getMessage().contains("return once queued"), refused.getMessage());
            }
        }
    }
}
