package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.pipeline.ExecutionReportTest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecutionTextTest {

    @Test
    void aBackendThatRanNoAttentionIsAWarningAtTheTop() {
        String text = ExecutionText.describe(ExecutionReportTest.report("cpu-reference", 0,
                List.of("denoiser: decomposed attention ending at MatMul node 'm' stays in ONNX Runtime: it adds a mask")));
        assertTrue(text.startsWith("WARNING: cpu-reference was asked for but ran no attention"), text);
        assertTrue(text.contains("stays in ONNX Runtime: it adds a mask"), text);
        assertFalse(ExecutionText.describe(ExecutionReportTest.report("cpu-reference", 16, List.of()))
                .contains("WARNING"));
    }
}
