package dev.sagestudio.models.fidelity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.runtime.NonFiniteOutput;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the guard makes of non-finite attention outputs found on the device path: the same FALLBACK lines and "first
 * non-finite value" as for the host path, with the step the loop announced.
 */
class FidelityGuardDeviceTest {
    static final String NODE = "Attention node 'attn_2'";

    @Test
    void aNodeReRunByTheFullPrecisionKernelIsAFallbackInTheHostPathsForm() {
        FidelityGuard guard = new FidelityGuard();
        guard.begin();
        guard.beforeStep(1);
        guard.onDevice(new NonFiniteOutput(NODE, "sage-int8-fp16", 12, 5, "NaN"), Optional.of("flash-fp16"),
                Optional.empty());
        assertEquals(List.of("FALLBACK: step 2, " + NODE + ", backend sage-int8-fp16, output index 5: NaN; that node"
                + " was re-run with flash-fp16, which gave finite values"), guard.fallbacks());
        assertEquals(Optional.empty(), guard.firstNonFinite());
        guard.requireFinite(new float[] {0f, 1f}, "result"); // recovered: the output is what counts
        guard.begin();
        assertEquals(List.of(), guard.fallbacks(), "a new generation starts clean");
    }

    @Test
    void aReRunThatIsNonFiniteTooIsReportedAndNamedAsTheFirstBadValue() {
        FidelityGuard guard = new FidelityGuard();
        guard.begin();
        guard.beforeStep(0);
        guard.onDevice(new NonFiniteOutput(NODE, "sage-int8-fp8", 1, 0, "+Inf"), Optional.of("flash-fp16"),
                Optional.of(new NonFiniteOutput(NODE, "flash-fp16", 3, 7, "-Inf")));
        assertEquals(List.of("FALLBACK: step 1, " + NODE + ", backend sage-int8-fp8, output index 0: +Inf; that node"
                + " was re-run with flash-fp16, which is also non-finite"), guard.fallbacks());
        assertEquals(Optional.of("step 1, " + NODE + ", backend flash-fp16 (full precision), output index 7: -Inf"),
                guard.firstNonFinite());
        NonFiniteOutputException e = assertThrows(NonFiniteOutputException.class,
                () -> guard.requireFinite(new float[] {Float.NaN}, "result"));
        assertTrue(e.getMessage().endsWith("first non-finite value: step 1, " + NODE + ", backend flash-fp16 (full"
                + " precision), output index 7: -Inf"), e.getMessage());
    }

    @Test
    void aBadNodeThatWasNotReRunIsTheFirstBadValueAndLaterOnesDoNotReplaceIt() {
        FidelityGuard guard = new FidelityGuard();
        guard.begin();
        guard.beforeStep(3);
        guard.onDevice(new NonFiniteOutput(NODE, "flash-fp16", 2, 9, "NaN"), Optional.empty(), Optional.empty());
        guard.beforeStep(4);
        guard.onDevice(new NonFiniteOutput("Attention node 'attn_0'", "flash-fp16", 1, 0, "NaN"), Optional.empty(),
                Optional.empty());
        assertEquals(List.of(), guard.fallbacks());
        assertEquals(Optional.of("step 4, " + NODE + ", backend flash-fp16, output index 9: NaN"),
                guard.firstNonFinite());
    }
}
