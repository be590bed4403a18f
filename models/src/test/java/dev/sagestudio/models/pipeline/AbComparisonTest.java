package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A/B runs on the tiny bundle: metrics of identical and of different attention backends. */
class AbComparisonTest {

    @TempDir
    static Path dir;
    static ModelBundle bundle;
    static OrtRuntime cpu;

    @BeforeAll
    static void load() throws Exception {
        bundle = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
        cpu = OrtRuntime.cpu(1);
    }

    static AbResult run(String a, String b, int steps, List<String> progress) throws Exception {
        return AbComparison.run(bundle, AttentionResolver.resolve(a, false), AttentionResolver.resolve(b, false), cpu,
                GenerationRequest.of("a red heart", 21).withSteps(steps), AbComparison.Options.defaults(),
                name -> event -> progress.add(name + " " + event.step()), new CancellationToken());
    }

    @Test
    void theSameBackendTwiceGivesIdenticalOutputs() throws Exception {
        AbResult r = run("cpu-reference", "cpu-reference", 3, new ArrayList<>());
        assertArrayEquals(r.a().output(), r.b().output());
        assertEquals(Double.POSITIVE_INFINITY, r.metrics().psnr());
        assertEquals(1.0, r.metrics().ssim(), 1e-12);
        assertEquals(1.0, r.metrics().raw().cosineSimilarity(), 1e-12);
        for (LayerError e : r.layers()) {
            assertEquals(1.0, e.bVsA().cosineSimilarity(), 1e-12);
            assertEquals(0.0, e.bVsA().maxAbsError());
        }
    }

    @Test
    void differentBackendsGiveFiniteCloseMetricsAndPerLayerErrorsOnSampledSteps() throws Exception {
        List<String> progress = new ArrayList<>();
        AbResult r = run("cpu-reference", "cpu-sage-int8-fp16", 5, progress);
        assertEquals(List.of("cpu-reference 0", "cpu-reference 1", "cpu-reference 2", "cpu-reference 3",
                "cpu-reference 4", "cpu-sage-int8-fp16 0", "cpu-sage-int8-fp16 1", "cpu-sage-int8-fp16 2",
                "cpu-sage-int8-fp16 3", "cpu-sage-int8-fp16 4"), progress);
        assertEquals("cpu-reference", r.a().execution().attentionThatRan());
        assertEquals("cpu-sage-int8-fp16", r.b().execution().attentionThatRan());
        double psnr = r.metrics().psnr();
        assertTrue(Double.isFinite(psnr) && psnr > 20, "PSNR " + psnr);
        assertTrue(r.metrics().ssim() < 1 && r.metrics().ssim() > 0.9, "SSIM " + r.metrics().ssim());
        double cos = r.metrics().raw().cosineSimilarity();
        assertTrue(cos < 1 && cos > 0.99, "cosine " + cos);
        // steps 0, 2 and 4 sampled; 2 denoiser attention nodes each (cond and uncond in one batch)
        assertEquals(6, r.layers().size());
        assertEquals(Set.of(0, 2, 4), r.layers().stream().map(LayerError::step).collect(java.util.stream.Collectors.toSet()));
        for (LayerError e : r.layers()) {
            assertEquals("cond+uncond", e.part());
            assertEquals(2, e.shape().batch());
            assertTrue(e.aVsExact().cosineSimilarity() > 0.999999, "reference vs exact " + e);
            double c = e.bVsExact().cosineSimilarity();
            assertTrue(c < 1 && c > 0.99, "quantized vs exact " + c);
            assertTrue(e.bVsA().relativeL1() > 0, "the quantized backend must differ from the reference");
        }
        assertEquals(64, r.layers().get(0).shape().qLen());
        assertEquals(8, r.layers().get(1).shape().kvLen(), "second node is the cross-attention to the 8 text tokens");
        assertTrue(r.a().attentionNanos() > 0 && r.b().attentionNanos() > 0);
    }

    @Test
    void againstOnnxRuntimeTheOutputsAreComparedButNoLayerErrorIsClaimed() throws Exception {
        AbResult r = run("onnxruntime", "cpu-reference", 2, new ArrayList<>());
        assertTrue(r.metrics().psnr() > 80, "partitioned reference vs ONNX Runtime alone: " + r.metrics().psnr());
        assertTrue(r.layers().isEmpty());
    }

    @Test
    void sampledStepsSpreadFromFirstToLast() {
        assertEquals(Set.of(0, 5, 10), AbComparison.sampledSteps(11, 3));
        assertEquals(Set.of(0), AbComparison.sampledSteps(11, 1));
        assertEquals(Set.of(0, 1), AbComparison.sampledSteps(2, 3));
        assertEquals(Set.of(), AbComparison.sampledSteps(5, 0));
    }
}
