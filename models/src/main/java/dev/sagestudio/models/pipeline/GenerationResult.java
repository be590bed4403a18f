package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.output.AnimatedGif;
import dev.sagestudio.models.output.AtomicFiles;
import dev.sagestudio.models.output.Mp4Video;
import dev.sagestudio.models.output.Pixels;
import dev.sagestudio.models.output.PngWithParameters;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A finished generation: the output tensor ([3, H, W] for images, [3, F, H, W] for video, in {@code valueRange}),
 * the settings that made it (defaults resolved), what ran, and where the time went.
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

    /** The output as 8-bit RGB images: one for an image, one per frame for a video. */
    public List<BufferedImage> images() {
        return kind == Kind.VIDEO ? Pixels.frames(output, frames, height, width, valueLow, valueHigh)
                : List.of(Pixels.image(output, height, width, valueLow, valueHigh));
    }

    /** Generation parameters as text (PNG iTXt chunks; readable back with {@link PngWithParameters#readParameters}). */
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

    /**
     * Writes the output atomically: {@code .png} (images; parameters embedded as text chunks), {@code .gif} (animated,
     * looping) or {@code .mp4} (H.264) for video.
     */
    public void write(Path target) throws IOException {
        write(target, AtomicFiles.CommitGate.ALWAYS);
    }

    /** As {@link #write(Path)}; {@code gate} runs just before the new file replaces the target and may stop it. */
    public void write(Path target, AtomicFiles.CommitGate gate) throws IOException {
        switch (checkTarget(kind, target)) {
            case "png" -> PngWithParameters.write(target, images().get(0), parameters(), gate);
            case "gif" -> AnimatedGif.write(target, images(), fps, gate);
            default -> Mp4Video.write(target, images(), fps, gate);
        }
    }

    /**
     * The format {@link #write} will use for {@code target} ("png", "gif" or "mp4"), or a clear error for a name that
     * does not fit the kind of output — so a command can refuse it before generating.
     */
    public static String checkTarget(Kind kind, Path target) {
        String name = target.getFileName().toString().toLowerCase(Locale.ROOT);
        String format = name.endsWith(".png") ? "png" : name.endsWith(".gif") ? "gif" : name.endsWith(".mp4") ? "mp4"
                : null;
        if (format == null) {
            throw new IllegalArgumentException("unknown output format for " + target.getFileName()
                    + "; use .png (image), .gif or .mp4 (video)");
        }
        if (format.equals("png") && kind == Kind.VIDEO) {
            throw new IllegalArgumentException("a video is written as .gif or .mp4, not " + target.getFileName());
        }
        return format;
    }

    public long ortNanos() {
        return stepTimings.stream().mapToLong(StepTiming::ortNanos).sum();
    }

    public long attentionNanos() {
        return stepTimings.stream().mapToLong(StepTiming::attentionNanos).sum();
    }

    /** Median wall time of a denoising step. */
    public long medianStepNanos() {
        long[] t = stepTimings.stream().mapToLong(StepTiming::totalNanos).sorted().toArray();
        return t.length == 0 ? 0 : t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }
}
