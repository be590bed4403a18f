package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/**
 * A finished generation: the output tensor ([3, H, W] for images, [3, F, H, W] for video, in {@code valueRange}),
 * the settings that made it (defaults resolved), what ran, and where the time went. Plain data: pictures and files
 * are made from it by {@code models.output.GenerationOutput}.
 *
 * @param textNanos text encoding (conditional and unconditional prompt)
 * @param decodeNanos decoding the final sample (VAE, if any)
 * @param totalNanos the whole run
 * @param notes things the user should know (prompt truncation)
 */
public record GenerationResult(String model, Kind kind, String prompt, String negativePrompt, long seed, int steps,
                               double guidanceScale, SchedulerName scheduler, float[] output, int frames, int height,
                               int width, double valueLow, double valueHigh, int fps, ExecutionReport execution,
                               long textNanos, long decodeNanos, long totalNanos, List<StepTiming> stepTimings,
                               List<String> notes) {

    /** Generation parameters as text (PNG iTXt chunks, written by {@code models.output.GenerationOutput}). */
    public Map<String, String> parameters() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("prompt", prompt);
        p.put("negative_prompt", negativePrompt);
        p.put("seed", Long.toString(seed));
        p.put("steps", Integer.toString(steps));
        p.put("guidance_scale", Double.toString(guidanceScale));
        p.put("scheduler", scheduler.jsonName());
        p.put("model", model);
        p.put("attention_backend", execution.attentionThatRan());
        p.put("attention_requested", execution.attention().requested());
        execution.attention().fallbackReason().ifPresent(r -> p.put("attention_fallback", r));
        p.put("onnxruntime_provider", execution.onnxRuntimeProvider());
        p.put("software", "SageStudio");
        return p;
    }

    public long ortNanos() {
        return stepTimings.stream().mapToLong(StepTiming::ortNanos).sum();
    }

    public long attentionNanos() {
        return stepTimings.stream().mapToLong(StepTiming::attentionNanos).sum();
    }

    /**
     * Whether {@link #ortNanos()} and {@link #attentionNanos()} are the time of that work, or else empty: why not. Not
     * where steps ran as CUDA graph launches (no split at all), nor where the device path queued its runs without
     * waiting (the figures are then the host's time to queue the work, not the GPU's).
     */
    public Optional<String> stepTimeSplitMissing() {
        if (recordedSteps() > 0) {
            return Optional.of(recordedSteps() + " step(s) ran as one CUDA graph launch each");
        }
        boolean queued = execution.attention().device().map(d -> d.runtime().queuesRunsWithoutWaiting()).orElse(false);
        return queued ? Optional.of("the GPU's runs were queued without waiting: the host's times are not the GPU's")
                : Optional.empty();
    }

    /** Steps that ran as one CUDA graph launch each: their time is in no ONNX Runtime / attention split. */
    public long recordedSteps() {
        return stepTimings.stream().filter(StepTiming::recorded).count();
    }

    /** Median wall time of a denoising step. */
    public long medianStepNanos() {
        long[] t = stepTimings.stream().mapToLong(StepTiming::totalNanos).sorted().toArray();
        return t.length == 0 ? 0 : t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }
}
