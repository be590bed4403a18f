package dev.sagestudio.models.output;

import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.pipeline.GenerationResult;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A {@link GenerationResult}'s output as pictures and files: the pixel conversion and the writers in one place. */
public final class GenerationOutput {

    private GenerationOutput() {
    }

    /** The output as 8-bit RGB images: one for an image, one per frame for a video. */
    public static List<BufferedImage> images(GenerationResult r) {
        return r.kind() == Kind.VIDEO
                ? Pixels.frames(r.output(), r.frames(), r.height(), r.width(), r.valueLow(), r.valueHigh())
                : List.of(Pixels.image(r.output(), r.height(), r.width(), r.valueLow(), r.valueHigh()));
    }

    /**
     * Writes the output atomically: {@code .png} (images; {@link GenerationResult#parameters()} embedded as iTXt
     * chunks), {@code .gif} (animated, looping) or {@code .mp4} (H.264) for video.
     */
    public static void write(GenerationResult r, Path target) throws IOException {
        write(r, target, AtomicFiles.CommitGate.ALWAYS);
    }

    /** As {@link #write(GenerationResult, Path)}; {@code gate} runs just before the new file replaces the target and may stop it. */
    public static void write(GenerationResult r, Path target, AtomicFiles.CommitGate gate) throws IOException {
        switch (checkTarget(r.kind(), target)) {
            case "png" -> PngWithParameters.write(target, images(r).get(0), r.parameters(), gate);
            case "gif" -> AnimatedGif.write(target, images(r), r.fps(), gate);
            default -> Mp4Video.write(target, images(r), r.fps(), gate);
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
}
