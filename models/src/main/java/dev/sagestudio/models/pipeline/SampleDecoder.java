package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.RunResult;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Sample → output tensor in {@code output.valueRange}: the sample itself for pixel-space models, else the VAE decoder
 * on {@code latent / scalingFactor + shiftFactor}; for video either frame by frame (a decoder of images: frames are
 * folded into the batch one at a time, so a decoder whose batch is fixed to 1 works too) or the whole clip in one call
 * (a decoder whose latent has rank 5, schemaVersion 2: causal video VAEs, which may also expand time). Output layout:
 * [3, H, W] for images, [3, F, H, W] for video.
 */
public final class SampleDecoder implements AutoCloseable {
    private final Optional<GraphComponent> vae;
    private final Component spec;
    private final int channels;
    private final int latentFrames;
    private final int frames;
    private final int latentHeight;
    private final int latentWidth;
    private final int height;
    private final int width;
    private final boolean video;
    private long lastNanosInOrt;

    SampleDecoder(Optional<GraphComponent> vae, Component spec, int channels, int latentFrames, int frames,
                  int latentHeight, int latentWidth, int height, int width, boolean video) {
        this.vae = vae;
        this.spec = spec;
        this.channels = channels;
        this.latentFrames = latentFrames;
        this.frames = frames;
        this.latentHeight = latentHeight;
        this.latentWidth = latentWidth;
        this.height = height;
        this.width = width;
        this.video = video;
    }

    Optional<GraphComponent> graph() {
        return vae;
    }

    /** ONNX Runtime and attention time of the last {@link #decode} (0 without a VAE). */
    long lastRunNanos() {
        return lastNanosInOrt;
    }

    public float[] decode(float[] sample) {
        lastNanosInOrt = 0;
        if (vae.isEmpty()) {
            return sample.clone();
        }
        double scaling = spec.scalingFactor() == null ? 1.0 : spec.scalingFactor();
        double shift = spec.shiftFactor() == null ? 0.0 : spec.shiftFactor();
        if (spec.inputs().get("latent").shape().size() == 5) {
            return decodeClip(sample, scaling, shift);
        }
        int plane = latentHeight * latentWidth;
        int outPlane = height * width;
        float[] out = new float[3 * frames * outPlane];
        String in = spec.inputs().get("latent").name();
        String outName = spec.outputs().get("image").name();
        for (int f = 0; f < frames; f++) {
            float[] latent = new float[channels * plane];
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < plane; p++) {
                    // sample layout [C, F, h, w] (F = 1 for images)
                    float z = sample[(c * frames + f) * plane + p];
                    latent[c * plane + p] = (float) (z / scaling + shift);
                }
            }
            RunResult run = vae.get().run(Map.of(in, GraphComponent.float32(
                    new long[] {1, channels, latentHeight, latentWidth}, latent)));
            lastNanosInOrt += run.ortNanos() + run.attentionNanos();
            HostArray image = run.outputs().get(outName);
            float[] pixels = GraphComponent.floats(image, "VAE decoder output '" + outName + "'");
            if (pixels.length != 3 * outPlane) {
                throw new IllegalStateException("VAE decoder output '" + outName + "' has shape "
                        + Arrays.toString(image.shape()) + "; expected [1, 3, " + height + ", " + width + "]");
            }
            for (int c = 0; c < 3; c++) {
                System.arraycopy(pixels, c * outPlane, out, (c * frames + f) * outPlane, outPlane);
            }
        }
        return out;
    }

    /** The whole clip in one call: latent [1, C, F_latent, h, w] to image [1, 3, F, H, W] (the output layout). */
    private float[] decodeClip(float[] sample, double scaling, double shift) {
        float[] latent = new float[sample.length];
        for (int i = 0; i < sample.length; i++) {
            latent[i] = (float) (sample[i] / scaling + shift);
        }
        String in = spec.inputs().get("latent").name();
        String outName = spec.outputs().get("image").name();
        RunResult run = vae.get().run(Map.of(in, GraphComponent.float32(
                new long[] {1, channels, latentFrames, latentHeight, latentWidth}, latent)));
        lastNanosInOrt += run.ortNanos() + run.attentionNanos();
        HostArray image = run.outputs().get(outName);
        float[] pixels = GraphComponent.floats(image, "VAE decoder output '" + outName + "'");
        if (pixels.length != 3 * frames * height * width) {
            throw new IllegalStateException("VAE decoder output '" + outName + "' has shape "
                    + Arrays.toString(image.shape()) + "; expected [1, 3, " + frames + ", " + height + ", " + width + "]");
        }
        return pixels;
    }

    boolean video() {
        return video;
    }

    @Override
    public void close() {
        vae.ifPresent(GraphComponent::close);
    }
}
