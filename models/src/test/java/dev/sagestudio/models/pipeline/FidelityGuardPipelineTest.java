package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.fidelity.NonFinite;
import dev.sagestudio.models.fidelity.NonFiniteOutputException;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No wrong picture passes as a good one: NaN/Inf in attention or in the sample is caught, re-run or refused. */
class FidelityGuardPipelineTest {

    @TempDir
    static Path dir;
    static ModelBundle image;
    static OrtRuntime cpu;

    @BeforeAll
    static void open() throws Exception {
        image = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
        cpu = OrtRuntime.cpu(1);
    }

    /** {@code delegate} with a NaN put into the output of call number {@code badCall} (0-based), once. */
    static AttentionBackend oneBadCall(AttentionBackend delegate, int badCall) {
        return new OneCallChanged(delegate, badCall, out -> {
            out.set(0, 0, 0, 0, Float.NaN);
            return out;
        });
    }

    @Test
    void aQuantizedNaNIsReRunAtThatNodeInFullPrecisionAndTheFallbackIsReported() throws Exception {
        AttentionChoice sage = AttentionResolver.resolve("cpu-sage-int8-fp16", false);
        // two attention nodes, one call each per step (cond and uncond in one batch): call 2 is step 2's first node
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(image, sage, cpu, oneBadCall(sage.backend(), 2))) {
            GenerationResult result = pipeline.generate(GenerationRequest.of("a red heart", 3).withSteps(3));
            assertEquals(-1, NonFinite.firstIndex(result.output()));
            assertEquals(1, result.notes().stream().filter(n -> n.startsWith("FALLBACK: ")).count(), result.notes()
                    .toString());
            String note = result.notes().stream().filter(n -> n.startsWith("FALLBACK: ")).findFirst().orElseThrow();
            assertTrue(note.contains("step 2, Attention node") && note.contains("backend cpu-sage-int8-fp16")
                    && note.contains(": NaN") && note.contains("re-run with cpu-reference, which gave finite values"),
                    note);

            GenerationResult next = pipeline.generate(GenerationRequest.of("a red heart", 3).withSteps(3));
            assertFalse(next.notes().stream().anyMatch(n -> n.startsWith("FALLBACK: ")),
                    "a clean run reports no fallback: " + next.notes());
        }
    }

    @Test
    void aNaNOfTheFullPrecisionBackendFailsTheGenerationNamingStepNodeAndBackend() throws Exception {
        AttentionChoice reference = AttentionResolver.resolve("cpu-reference", false);
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(image, reference, cpu,
                oneBadCall(reference.backend(), 1))) {
            var e = assertThrows(NonFiniteOutputException.class,
                    () -> pipeline.generate(GenerationRequest.of("a red heart", 3).withSteps(2)));
            assertTrue(e.getMessage().contains("first non-finite value: step 1, Attention node")
                    && e.getMessage().contains("backend cpu-reference"), e.getMessage());
            GenerationResult bad = e.result(GenerationResult.class).orElseThrow();
            assertTrue(NonFinite.count(bad.output()) > 0);
            // the pipeline stays usable
            assertEquals(-1, NonFinite.firstIndex(pipeline.generate(GenerationRequest.of("a cat", 1).withSteps(2))
                    .output()));
        }
    }

    @Test
    void aModelWhoseWeightsAreNaNFailsAtTheFirstStepInsteadOfWritingABlackImage() throws Exception {
        ModelBundle broken = ModelBundle.load(TinyBundle.imageWithDenoiserWeight(dir.resolve("nan"), "w_out",
                Float.NaN));
        for (String backend : new String[] {"cpu-reference", AttentionChoice.ONNX_RUNTIME}) {
            try (DiffusionPipeline pipeline = DiffusionPipeline.open(broken, AttentionResolver.resolve(backend, false),
                    cpu)) {
                var e = assertThrows(NonFiniteOutputException.class,
                        () -> pipeline.generate(GenerationRequest.of("a red heart", 3).withSteps(3)));
                assertTrue(e.getMessage().contains("the generated output has 192 non-finite values of 192")
                        && e.getMessage().contains("the sample after step 1 (attention backend " + backend + ")"),
                        e.getMessage());
            }
        }
    }

    @Test
    void anOverflowingModelIsCaughtToo() throws Exception {
        ModelBundle huge = ModelBundle.load(TinyBundle.imageWithDenoiserWeight(dir.resolve("huge"), "w_out", 3e38f));
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(huge, AttentionResolver.resolve("cpu-reference", false),
                cpu)) {
            var e = assertThrows(NonFiniteOutputException.class,
                    () -> pipeline.generate(GenerationRequest.of("a red heart", 3).withSteps(3)));
            assertTrue(e.getMessage().contains("Inf") || e.getMessage().contains("NaN"), e.getMessage());
        }
    }
}
