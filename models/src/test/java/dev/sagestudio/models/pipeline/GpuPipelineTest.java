package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline with the GPU kernels as attention backends (on the device path, or through their host API where ONNX
 * Runtime's CUDA EP cannot start): what ran is reported with how it ran, and an A/B run of flash-fp16 against sage-int8-fp16 gives sane metrics. Skips, printing why,
 * without a usable GPU (fails instead with -Dsagestudio.gpu.required=true).
 */
@Tag("gpu")
class GpuPipelineTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void requireGpu() {
        GpuStatus status = GpuStatus.probe();
        if (!status.available()) {
            if (Boolean.getBoolean("sagestudio.gpu.required")) {
                fail("GPU tests are required but cannot run: " + status.message());
            }
            System.out.println("GpuPipelineTest skipped: " + status.message());
            org.junit.jupiter.api.Assumptions.abort(status.message());
        }
    }

    @Test
    void flashAgainstSageOnTheGpuReportsWhatRanAndGivesCloseOutputs() throws Exception {
        ModelBundle bundle = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
        try (AttentionChoice flash = AttentionResolver.resolve("flash-fp16", false);
             AttentionChoice sage = AttentionResolver.resolve("sage-int8-fp16", false)) {
            AbResult r = AbComparison.run(bundle, flash, sage, OrtRuntime.cpu(1),
                    GenerationRequest.of("a red heart", 21).withSteps(3), AbComparison.Options.defaults(),
                    name -> ProgressListener.NONE, new CancellationToken());
            assertEquals("flash-fp16", r.a().execution().attentionThatRan());
            assertEquals("sage-int8-fp16", r.b().execution().attentionThatRan());
            // The zero-copy device path where ONNX Runtime's CUDA EP starts, else the kernels' host API: said either way.
            String how = sage.device().isPresent() ? "zero-copy device path"
                    : "uploaded and O downloaded for every attention call";
            assertTrue(r.b().execution().attention().note().orElseThrow().contains(how), r.b().execution().toString());
            assertTrue(Double.isFinite(r.metrics().psnr()) && r.metrics().psnr() > 20, "PSNR " + r.metrics().psnr());
            assertTrue(r.metrics().raw().cosineSimilarity() > 0.99, r.metrics().toString());
            assertEquals(6, r.layers().size());
            for (LayerError e : r.layers()) {
                assertTrue(e.aVsExact().cosineSimilarity() > 0.999, "flash-fp16 vs exact " + e);
                assertTrue(e.bVsExact().cosineSimilarity() > 0.99, "sage-int8-fp16 vs exact " + e);
            }
            System.out.println("PSNR " + r.metrics().psnr() + " dB, SSIM " + r.metrics().ssim() + "; layers " + r.layers());
        }
    }
}
