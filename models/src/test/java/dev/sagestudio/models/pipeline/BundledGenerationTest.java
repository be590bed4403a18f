package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.output.GenerationOutput;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.scheduler.FlowMatchEulerScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped models (models/bundled) through the pipeline: substituting every denoiser attention node with the CPU
 * reference gives what ONNX Runtime alone gives, and the video model yields 16 frames, sampled with its noise shift. Skips, saying so, where a
 * bundle is absent.
 */
class BundledGenerationTest {
    static final Path BUNDLED = Path.of(System.getProperty("user.dir")).resolve("bundled");

    static ModelBundle bundled(String name) throws Exception {
        Path dir = BUNDLED.resolve(name);
        Assumptions.assumeTrue(Files.isDirectory(dir), "no bundled model " + name + " in " + BUNDLED);
        return ModelBundle.load(dir);
    }

    @Test
    void theImageModelWithReferenceAttentionMatchesOnnxRuntimeAlone() throws Exception {
        ModelBundle bundle = bundled("sage-emoji-t2i");
        AbResult r = AbComparison.run(bundle, AttentionResolver.resolve("onnxruntime", false),
                AttentionResolver.resolve("cpu-reference", false), OrtRuntime.cpu(2),
                GenerationRequest.of("a red heart, twemoji style", 7).withSteps(2), AbComparison.Options.defaults(),
                name -> ProgressListener.NONE, new CancellationToken());
        assertEquals(16, r.b().execution().attentionCalls(), "8 denoiser attention nodes x 2 steps");
        assertTrue(r.metrics().psnr() > 80, "PSNR " + r.metrics().psnr());
        assertTrue(r.metrics().raw().cosineSimilarity() > 0.999999, "cosine " + r.metrics().raw().cosineSimilarity());
    }

    @Test
    void theVideoModelSamplesWithTheNoiseShiftItWasTrainedWith() throws Exception {
        // Trained with noise levels s -> 4s/(1+3s) (models/training/README.md): sampled without the shift, its
        // clips are mush, so the bundle must carry it and the scheduler must apply it.
        var config = bundled("sage-emoji-t2v").schedulerConfig();
        assertEquals(4.0, config.shift());
        var scheduler = new FlowMatchEulerScheduler(config);
        scheduler.setTimesteps(20);
        assertEquals(4 * 0.95 / (1 + 3 * 0.95) * 1000, scheduler.timesteps()[1], 1e-3);
    }

    @Test
    void theVideoModelGeneratesSixteenFrames() throws Exception {
        ModelBundle bundle = bundled("sage-emoji-t2v");
        try (DiffusionPipeline p = DiffusionPipeline.open(bundle, AttentionResolver.resolve("onnxruntime", false),
                OrtRuntime.cpu(2))) {
            List<StepEvent> events = new java.util.ArrayList<>();
            GenerationResult r = p.generate(GenerationRequest.of("a ghost bouncing, noto style", 1).withSteps(1),
                    events::add, new CancellationToken());
            assertEquals(16, r.frames());
            assertEquals(3 * 16 * 64 * 64, r.output().length);
            assertEquals(16, GenerationOutput.images(r).size());
            assertEquals(1, events.size());
        }
    }
}
