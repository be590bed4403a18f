package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A run that asked for one of our backends but ran no attention on it says so, never quietly. */
public class ExecutionReportTest {

    public static ExecutionReport report(String backend, long calls, List<String> kept) {
        return new ExecutionReport(AttentionResolver.resolve(backend, false), calls,
                Map.of("denoiser", calls > 0 ? 2L : 0L), kept, "CPU", Optional.empty(), "host loop");
    }

    @Test
    void aBackendThatRanNoAttentionGetsAWarning() {
        ExecutionReport none = report("cpu-reference", 0,
                List.of("denoiser: decomposed attention ending at MatMul node 'm' stays in ONNX Runtime: it adds a mask"));
        assertEquals(Optional.of("WARNING: cpu-reference was asked for but ran no attention: all of the model's"
                + " attention ran inside ONNX Runtime (reasons below)"), none.noAttentionWarning());
        assertTrue(report("cpu-reference", 0, List.of()).noAttentionWarning().orElseThrow()
                .contains("no attention was found"));
    }

    @Test
    void noWarningWhenTheBackendRanOrOnnxRuntimeWasChosen() {
        assertTrue(report("cpu-reference", 16, List.of()).noAttentionWarning().isEmpty());
        assertTrue(report(AttentionChoice.ONNX_RUNTIME, 0, List.of()).noAttentionWarning().isEmpty());
    }
}
