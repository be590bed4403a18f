package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.onnx.proto.Onnx.TensorShapeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.RunResult;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Sample → output tensor in {@code output.valueRange}: the sample itself for pixel-space models, else the VAE decoder
 * on {@code latent / scalingFactor + shiftFactor}; for video either frame by frame (a decoder of images: frames are
 * folded into the batch one at a time, so a decoder whose batch is fixed to 1 works too) or the whole clip in one call
 * (a decoder whose latent has rank 5, schemaVersion 2: causal video VAEs, which may also expand time). Output layout:
 * [3, H, W] for images, [3, F, H, W] for video.
 *
 * <p>Where a full decode would not fit — {@link DecoderFootprint}'s estimate above the {@link DecodeOptions} budget,
 * or ONNX Runtime running out of memory — the latent is decoded in overlapping spatial tiles ({@link LatentTiles};
 * a clip decoder gets every frame of the clip in each tile), if the decoder's graph leaves its latent height and
 * width free. {@link #lastNote()} says when and why.
 */
public final class SampleDecoder implements AutoCloseable {
    /** The smallest tile tried when a tile's own decode does not fit, in latent pixels. */
    static final int MIN_TILE = 8;

    private final Optional<GraphComponent> vae;
    private final Function<Map<String, HostArray>, RunResult> call;
    private final Component spec;
    private final int channels;
    private final int latentFrames;
    private final int frames;
    private final int latentHeight;
    private final int latentWidth;
    private final int height;
    private final int width;
    private final boolean video;
    private final Optional<DecoderFootprint> footprint;
    /** Why the decoder's graph cannot take a tile (its latent height or width is fixed), or empty when it can. */
    private final Optional<String> untileable;
    private DecodeOptions options = DecodeOptions.defaults();
    private long lastNanosInOrt;
    private Optional<String> lastNote = Optional.empty();

    SampleDecoder(Optional<GraphComponent> vae, Component spec, int channels, int latentFrames, int frames,
                  int latentHeight, int latentWidth, int height, int width, boolean video) {
        this(vae, vae.<Function<Map<String, HostArray>, RunResult>>map(g -> g::run).orElse(null), spec, channels,
                latentFrames, frames, latentHeight, latentWidth, height, width, video);
    }

    /** As above, each decoder call made through {@code call} (tests put a failing call in front of the graph). */
    SampleDecoder(Optional<GraphComponent> vae, Function<Map<String, HostArray>, RunResult> call, Component spec,
                  int channels, int latentFrames, int frames, int latentHeight, int latentWidth, int height, int width,
                  boolean video) {
        this.vae = vae;
        this.call = call;
        this.spec = spec;
        this.channels = channels;
        this.latentFrames = latentFrames;
        this.frames = frames;
        this.latentHeight = latentHeight;
        this.latentWidth = latentWidth;
        this.height = height;
        this.width = width;
        this.video = video;
        this.footprint = vae.map(g -> DecoderFootprint.of(g.plan()));
        this.untileable = vae.flatMap(g -> untileable(g, spec));
    }

    Optional<GraphComponent> graph() {
        return vae;
    }

    /** ONNX Runtime and attention time of the last {@link #decode} (0 without a VAE). */
    long lastRunNanos() {
        return lastNanosInOrt;
    }

    /** The memory budget and tiles of the decodes from now on. */
    public void options(DecodeOptions value) {
        this.options = Objects.requireNonNull(value, "options");
    }

    public DecodeOptions options() {
        return options;
    }

    /**
     * What the last {@link #decode} did that a user should know: that it ran in tiles and why, or that a full decode
     * was attempted though the estimate said it might not fit (the decoder cannot be tiled). Empty after a plain full
     * decode.
     */
    public Optional<String> lastNote() {
        return lastNote;
    }

    public float[] decode(float[] sample) {
        lastNanosInOrt = 0;
        lastNote = Optional.empty();
        if (vae.isEmpty()) {
            return sample.clone();
        }
        double scaling = spec.scalingFactor() == null ? 1.0 : spec.scalingFactor();
        double shift = spec.shiftFactor() == null ? 0.0 : spec.shiftFactor();
        float[] latent = new float[sample.length];
        for (int i = 0; i < sample.length; i++) {
            latent[i] = (float) (sample[i] / scaling + shift);
        }
        long needed = footprint.orElseThrow().bytes(latentHeight, latentWidth, framesPerCall(), height, width);
        OptionalLong budget = options.memoryBudgetBytes() != null ? OptionalLong.of(options.memoryBudgetBytes())
                : MemoryEstimate.availableBytes();
        if (budget.isPresent() && needed > budget.getAsLong()) {
            String why = String.format(Locale.ROOT, "a full decode needs about %s (estimate) and the budget is %s%s",
                    mib(needed), mib(budget.getAsLong()), options.memoryBudgetBytes() == null
                            ? " (the memory available now)" : "");
            if (untileable.isEmpty()) {
                return tiled(latent, firstTile(budget.getAsLong()), why);
            }
            lastNote = Optional.of("VAE decode: " + why + ", but " + untileable.get() + "; decoding it whole");
        }
        try {
            return decodeRegion(latent, latentHeight, latentWidth);
        } catch (RuntimeException e) {
            if (!OutOfMemoryMessages.isOutOfMemory(e)) {
                throw e;
            }
            if (untileable.isPresent()) {
                throw new IllegalStateException("the VAE decoder ran out of memory decoding the whole "
                        + (video ? "clip" : "image") + ", and " + untileable.get() + ": " + e.getMessage(), e);
            }
            int tile = options.tileLatent();
            // a tile as large as the latent would repeat the decode that failed
            while (tile > MIN_TILE && new LatentTiles(tile, overlapFor(tile)).count(latentHeight, latentWidth) < 2) {
                tile = Math.max(MIN_TILE, tile / 2);
            }
            return tiled(latent, tile, "the full decode ran out of memory (" + OutOfMemoryMessages.brief(e) + ")");
        }
    }

    /**
     * Decodes in tiles, halving the tile while a tile's own decode runs out of memory (down to {@link #MIN_TILE}),
     * and notes how and why.
     */
    private float[] tiled(float[] latent, int tile, String why) {
        while (true) {
            LatentTiles tiles = new LatentTiles(tile, overlapFor(tile));
            try {
                float[] out = tiles.decode(latent, channels, latentFrames, latentHeight, latentWidth,
                        height / latentHeight, video ? frames : 1, this::decodeRegion);
                lastNote = Optional.of(String.format(Locale.ROOT, "VAE decode tiled: %d tile(s) of at most %d×%d"
                                + " latent pixels%s, overlap %d, blended linearly%s, because %s",
                        tiles.count(latentHeight, latentWidth), tile, tile, tile < options.tileLatent()
                                ? " (smaller than the " + options.tileLatent() + " asked for, so that one fits)" : "",
                        tiles.overlap(), video && isClipDecoder() ? " (each tile the whole clip)" : "", why));
                return out;
            } catch (RuntimeException e) {
                if (!OutOfMemoryMessages.isOutOfMemory(e) || tile <= MIN_TILE) {
                    throw e;
                }
                why = why + "; tiles of " + tile + " ran out of memory too";
                tile = Math.max(MIN_TILE, tile / 2);
            }
        }
    }

    /** The configured tile, halved until one tile's estimate fits {@code budget} (not below {@link #MIN_TILE}). */
    private int firstTile(long budget) {
        int tile = options.tileLatent();
        int scale = height / latentHeight;
        while (tile > MIN_TILE && footprint.orElseThrow().bytes(Math.min(tile, latentHeight),
                Math.min(tile, latentWidth), framesPerCall(), (long) Math.min(tile, latentHeight) * scale,
                (long) Math.min(tile, latentWidth) * scale) > budget) {
            tile = Math.max(MIN_TILE, tile / 2);
        }
        return tile;
    }

    /** The configured overlap; a tile made smaller than the configured one overlaps by at most a quarter of itself. */
    private int overlapFor(int tile) {
        return Math.min(options.overlapLatent(), tile == options.tileLatent() ? tile - 1 : tile / 4);
    }

    private long framesPerCall() {
        return isClipDecoder() ? frames : 1;
    }

    private boolean isClipDecoder() {
        return spec.inputs().get("latent").shape().size() == 5;
    }

    /**
     * A region of the scaled latent, [C, F_latent, th, tw], decoded: the whole clip in one call (rank-5 decoder), or
     * frame by frame. Returns [3, F, th × scale, tw × scale].
     */
    private float[] decodeRegion(float[] latent, int th, int tw) {
        int scale = height / latentHeight;
        int outPlane = th * scale * tw * scale;
        String in = spec.inputs().get("latent").name();
        String outName = spec.outputs().get("image").name();
        if (isClipDecoder()) {
            RunResult run = call.apply(Map.of(in, GraphComponent.float32(
                    new long[] {1, channels, latentFrames, th, tw}, latent)));
            lastNanosInOrt += run.ortNanos() + run.attentionNanos();
            return pixels(run, outName, frames, th * scale, tw * scale);
        }
        int plane = th * tw;
        float[] out = new float[3 * frames * outPlane];
        for (int f = 0; f < frames; f++) {
            float[] frame = new float[channels * plane];
            for (int c = 0; c < channels; c++) {
                // sample layout [C, F, h, w] (F = 1 for images)
                System.arraycopy(latent, (c * frames + f) * plane, frame, c * plane, plane);
            }
            RunResult run = call.apply(Map.of(in, GraphComponent.float32(new long[] {1, channels, th, tw}, frame)));
            lastNanosInOrt += run.ortNanos() + run.attentionNanos();
            float[] pixels = pixels(run, outName, 1, th * scale, tw * scale);
            for (int c = 0; c < 3; c++) {
                System.arraycopy(pixels, c * outPlane, out, (c * frames + f) * outPlane, outPlane);
            }
        }
        return out;
    }

    private static float[] pixels(RunResult run, String outName, int frames, int h, int w) {
        HostArray image = run.outputs().get(outName);
        float[] pixels = GraphComponent.floats(image, "VAE decoder output '" + outName + "'");
        if (pixels.length != 3 * frames * h * w) {
            throw new IllegalStateException("VAE decoder output '" + outName + "' has shape "
                    + Arrays.toString(image.shape()) + "; expected [1, 3, " + (frames == 1 ? "" : frames + ", ") + h
                    + ", " + w + "]");
        }
        return pixels;
    }

    /**
     * Why the decoder's graph cannot decode a tile: its latent input fixes the height or width (an export without
     * dynamic spatial axes), or empty.
     */
    private static Optional<String> untileable(GraphComponent vae, Component spec) {
        String in = spec.inputs().get("latent").name();
        for (ValueInfoProto input : vae.plan().model().graph().getInputList()) {
            if (input.getName().equals(in)) {
                var dims = input.getType().getTensorType().getShape().getDimList();
                int rank = dims.size();
                if (rank >= 2 && (fixed(dims.get(rank - 2)) || fixed(dims.get(rank - 1)))) {
                    return Optional.of("the decoder's graph fixes the latent's height and width ("
                            + dims.get(rank - 2).getDimValue() + "×" + dims.get(rank - 1).getDimValue()
                            + "), so it cannot decode tiles (export it with dynamic height and width)");
                }
            }
        }
        return Optional.empty();
    }

    private static boolean fixed(TensorShapeProto.Dimension dim) {
        return dim.hasDimValue();
    }

    private static String mib(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    boolean video() {
        return video;
    }

    @Override
    public void close() {
        vae.ifPresent(GraphComponent::close);
    }
}
