package dev.sagestudio.app.compare;

import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ImageMetrics;
import dev.sagestudio.models.pipeline.StepTiming;
import java.util.ArrayList;
import java.util.List;

/**
 * Every number of one A/B comparison, derived once from an {@link AbResult} so that the compare view, the HTML report
 * and the JSON export show the same values. Plain data (JSON-serialisable records; times in milliseconds).
 *
 * @param setup what was generated
 * @param a backend A: what was asked for and what ran
 * @param b backend B
 * @param quality B's output against A's, over the whole output
 * @param frames the same per frame (one entry for an image)
 * @param timing where the time went in both runs and the speed-ups
 * @param layers per-layer attention accuracy on real activations (empty when not measured; {@link #layersAbsentReason}
 *               says why)
 * @param layersAbsentReason why there are no per-layer numbers, or null when there are
 * @param captureBudgetHit whether some sampled attention calls were skipped by the capture's memory budget
 */
public record CompareNumbers(Setup setup, Side a, Side b, Quality quality, List<Quality> frames, Timing timing,
                             LayerAccuracy layers, String layersAbsentReason, boolean captureBudgetHit) {

    /** The generation settings both runs shared. */
    public record Setup(String model, String kind, String prompt, String negativePrompt, long seed, int steps,
                        double guidanceScale, String scheduler, int frames, int height, int width, int fps) {
    }

    /**
     * One side of the comparison.
     *
     * @param requested the backend name asked for
     * @param ran the backend that ran (or a statement that ONNX Runtime computed attention)
     * @param fallback why {@code ran} is not {@code requested}, or null
     * @param onnxRuntimeProvider ONNX Runtime's execution provider
     */
    public record Side(String requested, String ran, String fallback, String onnxRuntimeProvider) {
    }

    /**
     * How close B's output is to A's (values mapped to [0, 1] for PSNR and SSIM; cosine, relative L1 and max abs on
     * the raw output tensors).
     *
     * @param psnr in dB; +∞ when identical
     */
    public record Quality(double psnr, double ssim, double cosine, double relativeL1, double maxAbs) {
        static Quality of(ImageMetrics m) {
            AccuracyMetrics raw = m.raw();
            return new Quality(m.psnr(), m.ssim(), raw.cosineSimilarity(), raw.relativeL1(), raw.maxAbsError());
        }
    }

    /**
     * One run's wall-clock split, in milliseconds.
     *
     * @param ortMs             NaN where the run has no such split ({@link GenerationResult#stepTimeSplitMissing}: steps
     *                          launched as CUDA graphs, or runs queued on the GPU)
     * @param attentionMeasured whether the attention time was measured (false when ONNX Runtime ran attention inside
     *                          its sessions, where it counts as ONNX Runtime time, and where the run has no split)
     */
    public record TimingSplit(double totalMs, double textMs, double denoiseMs, double medianStepMs, double ortMs,
                              double attentionMs, boolean attentionMeasured, double schedulerMs, double otherMs,
                              double decodeMs) {
        static TimingSplit of(GenerationResult r) {
            List<StepTiming> steps = r.stepTimings();
            boolean split = r.stepTimeSplitMissing().isEmpty();
            return new TimingSplit(ms(r.totalNanos()), ms(r.textNanos()),
                    ms(steps.stream().mapToLong(StepTiming::totalNanos).sum()), ms(r.medianStepNanos()),
                    split ? ms(r.ortNanos()) : Double.NaN, ms(r.attentionNanos()),
                    split && !r.execution().attention().isOnnxRuntime(),
                    ms(steps.stream().mapToLong(StepTiming::schedulerNanos).sum()),
                    ms(steps.stream().mapToLong(StepTiming::otherNanos).sum()), ms(r.decodeNanos()));
        }
    }

    /**
     * Both runs' times and B's speed-up over A (A's time / B's time: above 1 means B was faster).
     *
     * @param attentionSpeedup the speed-up of the attention time alone; NaN unless both sides measured it
     */
    public record Timing(TimingSplit a, TimingSplit b, double totalSpeedup, double stepSpeedup,
                         double attentionSpeedup) {
        static Timing of(TimingSplit a, TimingSplit b) {
            boolean attention = a.attentionMeasured() && b.attentionMeasured() && a.attentionMs() > 0
                    && b.attentionMs() > 0;
            return new Timing(a, b, ratio(a.totalMs(), b.totalMs()), ratio(a.medianStepMs(), b.medianStepMs()),
                    attention ? a.attentionMs() / b.attentionMs() : Double.NaN);
        }

        private static double ratio(double slow, double fast) {
            return fast > 0 ? slow / fast : Double.NaN;
        }
    }

    /** Derives every number from {@code result}. */
    public static CompareNumbers of(AbResult result) {
        GenerationResult a = result.a();
        GenerationResult b = result.b();
        Setup setup = new Setup(a.model(), a.kind().name().toLowerCase(java.util.Locale.ROOT), a.prompt(),
                a.negativePrompt(), a.seed(), a.steps(), a.guidanceScale(), a.scheduler().jsonName(), a.frames(),
                a.height(), a.width(), a.fps());
        List<Quality> frames = new ArrayList<>();
        for (ImageMetrics m : ImageMetrics.perFrame(a.output(), b.output(), a.frames(), a.height(), a.width(),
                a.valueLow(), a.valueHigh())) {
            frames.add(Quality.of(m));
        }
        String absent = null;
        if (result.layers().isEmpty()) {
            absent = a.execution().attention().isOnnxRuntime() || b.execution().attention().isOnnxRuntime()
                    ? "onnxruntime runs attention inside ONNX Runtime, where Q/K/V cannot be reached"
                    : "no attention call was sampled";
        }
        return new CompareNumbers(setup, side(a), side(b), Quality.of(result.metrics()), List.copyOf(frames),
                Timing.of(TimingSplit.of(a), TimingSplit.of(b)), LayerAccuracy.of(result.layers()), absent,
                result.captureBudgetHit());
    }

    private static Side side(GenerationResult r) {
        var e = r.execution();
        return new Side(e.attention().requested(), e.attentionThatRan(), e.attention().fallbackReason().orElse(null),
                e.onnxRuntimeProvider());
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
