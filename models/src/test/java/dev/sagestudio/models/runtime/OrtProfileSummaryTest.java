package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OrtRuntime#profileSessionsIn} and {@link OrtProfileSummary}: ONNX Runtime's own account of a step. */
class OrtProfileSummaryTest {

    @Test
    void everySegmentSessionWritesAProfileAndTheSummaryCountsEachNodeOncePerRun(@TempDir Path folder)
            throws Exception {
        OnnxModel model = SharedArenaTest.threeBlocks();
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 3);
        try (OrtRuntime runtime = OrtRuntime.cpu(1).profileSessionsIn(folder);
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            for (int i = 0; i < 3; i++) {
                partitioned.run(inputs);
            }
        } // ONNX Runtime writes a session's profile when the session closes

        OrtProfileSummary summary = OrtProfileSummary.of(folder);
        assertEquals(4, summary.profiles(), "one profile per segment session");
        long modelNodes = model.proto().getGraph().getNodeList().stream()
                .filter(n -> !n.getOpType().equals("Attention")).count();
        int profiledNodes = summary.ops().stream().mapToInt(OrtProfileSummary.OpTime::nodes).sum();
        // ONNX Runtime may fuse nodes (fewer kernels than nodes), never run one twice per call.
        assertTrue(profiledNodes > 0 && profiledNodes <= modelNodes, profiledNodes + " kernels per run for "
                + modelNodes + " nodes outside attention");
        assertTrue(summary.ops().stream().allMatch(op -> op.provider().equals("CPUExecutionProvider")), summary.ops()
                .toString());
        assertTrue(summary.ops().stream().anyMatch(op -> op.op().equals("MatMul")), summary.describe(20));
        assertTrue(summary.kernelMs() > 0 && summary.kernelMs() <= summary.runMs(),
                "the kernels' time is part of the run's: " + summary.describe(20));
        assertTrue(summary.describe(3).lines().count() <= 4, "a header and at most three operators");
    }

    @Test
    void aFolderWithoutProfilesSummarisesToNothing(@TempDir Path folder) throws Exception {
        OrtProfileSummary summary = OrtProfileSummary.of(folder);
        assertEquals(0, summary.profiles());
        assertTrue(summary.ops().isEmpty());
    }
}
