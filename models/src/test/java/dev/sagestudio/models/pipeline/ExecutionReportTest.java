package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A run that asked for one of our backends but ran no attention on it says so first, never quietly. */
class ExecutionReportTest {

    static ExecutionReport report(String backend, long calls, List<String> kept) {
        return new ExecutionReport(AttentionChoice.resolve(backend, false), calls, Map.of("denoiser", calls > 0 ? 2L : 0L),
                kept, "CPU", Optional.empty());
    }

    @Test
    void aBackendThatRanNoAttentionIsAWarningAtTheTop() {
        ExecutionReport none = report("cpu-reference", 0,
                List.of("denoiser: decomposed attention ending at MatMul node 'm' stays in ONNX Runtime: it adds a mask"));
        String text = none.describe();
        assertTrue(text.startsWith("WARNING: cpu-reference was asked for but ran no attention: all of the model's"
                + " attention ran inside ONNX Runtime"), text);
        assertTrue(text.contains("stays in ONNX Runtime: it adds a mask"), text);
        assertTrue(report("cpu-reference", 0, List.of()).describe().contains("no attention was found"));
    }

    @Test
    void noWarningWhenTheBackendRanOrOnnxRuntimeWasChosen() {
        assertFalse(report("cpu-reference", 16, List.of()).describe().contains("WARNING"));
        assertTrue(report(AttentionChoice.ONNX_RUNTIME, 0, List.of()).noAttentionWarning().isEmpty());
    }
}
