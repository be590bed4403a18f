package dev.sagestudio.app.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.StepTiming;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The numbers derived from a fixed A/B result. */
class CompareNumbersTest {

    @Test
    void stepsLaunchedAsCudaGraphsHaveNoOnnxRuntimeOrAttentionSplitAndNoAttentionSpeedUp() {
        AbResult r = FixedResults.image();
        GenerationResult b = r.b();
        List<StepTiming> launched = b.stepTimings().stream().map(t -> new StepTiming(t.totalNanos(), 0, 0, 0, 1,
                t.attentionCalls(), t.copies(), t.copiedBytes(), true)).toList();
        GenerationResult recorded = new GenerationResult(b.model(), b.kind(), b.prompt(), b.negativePrompt(), b.seed(),
                b.steps(), b.guidanceScale(), b.scheduler(), b.output(), b.frames(), b.height(), b.width(),
                b.valueLow(), b.valueHigh(), b.fps(), b.execution(), b.textNanos(), b.decodeNanos(), b.totalNanos(),
                launched, b.notes());
        assertEquals("3 step(s) ran as one CUDA graph launch each", recorded.stepTimeSplitMissing().orElseThrow());
        CompareNumbers n = CompareNumbers.of(new AbResult(r.a(), recorded, r.metrics(), r.layers(), false));
        assertTrue(Double.isNaN(n.timing().b().ortMs()));
        assertFalse(n.timing().b().attentionMeasured());
        assertTrue(Double.isNaN(n.timing().attentionSpeedup()), "no attention speed-up without B's attention time");
        assertEquals(32.0 / 13.0, n.timing().stepSpeedup(), 1e-12, "the step times stay");
        assertTrue(r.b().stepTimeSplitMissing().isEmpty(), "host-loop steps are split");
    }

    @Test
    void timingSplitAndSpeedUpsComeFromTheStepTimings() {
        CompareNumbers n = CompareNumbers.of(FixedResults.image());
        assertEquals(32.0, n.timing().a().medianStepMs(), 1e-9);
        assertEquals(13.0, n.timing().b().medianStepMs(), 1e-9);
        assertEquals(96.0 + 7.0, n.timing().a().totalMs(), 1e-9);
        assertEquals(39.0 + 7.0, n.timing().b().totalMs(), 1e-9);
        assertEquals(3 * 18.0, n.timing().a().attentionMs(), 1e-9);
        assertEquals(3 * 10.0, n.timing().b().ortMs(), 1e-9);
        assertEquals(32.0 / 13.0, n.timing().stepSpeedup(), 1e-12);
        assertEquals(103.0 / 46.0, n.timing().totalSpeedup(), 1e-12);
        assertEquals(18.0 / 1.5, n.timing().attentionSpeedup(), 1e-12);
        assertEquals("cpu-reference", n.a().ran());
        assertEquals("cpu-sage-int8-fp16", n.b().ran());
    }

    @Test
    void qualityOfTheWholeOutputIsTheResultsOwnMetrics() {
        AbResult r = FixedResults.image();
        CompareNumbers n = CompareNumbers.of(r);
        assertEquals(r.metrics().psnr(), n.quality().psnr());
        assertEquals(r.metrics().ssim(), n.quality().ssim());
        assertEquals(r.metrics().raw().cosineSimilarity(), n.quality().cosine());
        assertEquals(r.metrics().raw().maxAbsError(), n.quality().maxAbs());
        // 4 of 64 pixels off by 0.05: MSE = 0.05² / 16
        assertEquals(10 * Math.log10(16 / 0.0025), n.quality().psnr(), 1e-3);
        assertEquals(1, n.frames().size());
    }

    @Test
    void videoGetsOneQualityPerFrameAndTheLaterFramesDifferMore() {
        CompareNumbers n = CompareNumbers.of(FixedResults.video(4));
        assertEquals(4, n.frames().size());
        for (int f = 0; f < 4; f++) {
            double d = FixedResults.raise(f);
            assertEquals(10 * Math.log10(16 / (d * d)), n.frames().get(f).psnr(), 1e-3, "frame " + f);
            assertEquals(2 * d, n.frames().get(f).maxAbs(), 1e-6, "frame " + f);
        }
        assertEquals(4, CompareCharts.perFramePsnr(n).values().length);
    }

    @Test
    void layersFormAStepsByLayersGridWithTheWorstCellFound() {
        LayerAccuracy l = CompareNumbers.of(FixedResults.image()).layers();
        assertEquals(List.of(0, 2), l.steps());
        assertEquals(3, l.layers().size());
        assertEquals(List.of("attn1", "attn2", "attn3"), l.shortLabels());
        assertEquals(2, l.worst().step());
        assertEquals(1, l.worst().layer());
        assertEquals(0.03, l.worst().relativeL1(), 1e-15);
        assertEquals(FixedResults.NODE_PREFIX + "attn2/Attention", l.worstLayer().orElseThrow());
        assertEquals(0.015, CompareCharts.relativeL1Grid(l)[1][0], 1e-15);
        assertEquals(1 - 0.011 * 0.011, l.cosineAcrossLayers(0)[2], 1e-15);
        assertTrue(l.cell(1, 0).isEmpty(), "step 1 was not sampled");
        assertNull(CompareNumbers.of(FixedResults.image()).layersAbsentReason());
    }

    @Test
    void jsonRoundTripKeepsEveryNumberIncludingInfinity() throws Exception {
        CompareNumbers n = CompareNumbers.of(FixedResults.video(3));
        assertEquals(n, CompareJson.read(CompareJson.write(n)));
        CompareNumbers same = new CompareNumbers(n.setup(), n.a(), n.b(), new CompareNumbers.Quality(
                Double.POSITIVE_INFINITY, 1, 1, 0, 0), n.frames(), n.timing(), n.layers(), null, false);
        String json = CompareJson.write(same);
        assertTrue(json.contains("\"Infinity\""), json);
        assertEquals(same, CompareJson.read(json));
        assertFalse(json.contains("\"empty\""), "no derived properties in the JSON");
    }

    @Test
    void labelsWithoutTheirCommonPrefixAreCutAtASeparator() {
        assertEquals(List.of("attn1", "attn2"), Labels.withoutCommonPrefix(List.of(
                "/down/attn1/Attention", "/down/attn2/Attention")));
        assertEquals(List.of("x1", "x2"), Labels.withoutCommonPrefix(List.of("x1", "x2")));
        assertEquals(List.of("sdpa", "sdpa_1"), Labels.withoutCommonPrefix(List.of("Attention node 'sdpa'",
                "Attention node 'sdpa_1'")));
        assertEquals(List.of("only"), Labels.withoutCommonPrefix(List.of("only")));
    }
}
