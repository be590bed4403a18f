package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AbComparison;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.pipeline.TinyBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compare command's text and picture, made from the plain {@link AbResult}. */
class CompareReportTest {
    @TempDir
    static Path dir;
    static ModelBundle bundle;

    @BeforeAll
    static void load() throws Exception {
        bundle = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
    }

    static AbResult run(String a, String b) throws Exception {
        try (OrtRuntime cpu = OrtRuntime.cpu(1)) {
            return AbComparison.run(bundle, AttentionResolver.resolve(a, false), AttentionResolver.resolve(b, false),
                    cpu, GenerationRequest.of("a red heart", 21).withSteps(2), AbComparison.Options.defaults(),
                    name -> ProgressListener.NONE, new CancellationToken());
        }
    }

    @Test
    void identicalRunsShowAnInfinitePsnrAndTheTimingRows() throws Exception {
        AbResult r = run("cpu-reference", "cpu-reference");
        String table = CompareReport.table(r);
        assertTrue(table.contains("PSNR inf dB"), table);
        assertTrue(table.contains("per step (median)") && table.contains("copies per step"), table);
        assertTrue(table.contains("A: attention backend that ran: cpu-reference"), table);
        assertEquals(8 + 4 + 8, CompareReport.sideBySide(r).get(0).getWidth());
    }

    @Test
    void againstOnnxRuntimeNoLayerErrorIsClaimed() throws Exception {
        String table = CompareReport.table(run("onnxruntime", "cpu-reference"));
        assertTrue(table.contains("Q/K/V cannot be reached"), table);
    }
}
