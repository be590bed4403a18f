package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.TextCombine;
import java.util.List;

/**
 * Several text encoders' outputs → the denoiser's text inputs, by the rules of diffusers' Stable Diffusion 3 and XL
 * pipelines (docs/model-bundle.md, {@code components.textEncoders}).
 */
final class TextCombination {

    /**
     * One encoder's outputs for one prompt.
     *
     * @param hidden [length, width], row-major: the per-token states the bundle names (for CLIP, the penultimate
     *               layer's, as both pipelines read)
     * @param pooled the pooled embedding, or null where the encoder declares none
     */
    record EncoderOutput(float[] hidden, int length, int width, float[] pooled) {
    }

    private TextCombination() {
    }

    /** The combined condition; {@code rule} null means a single encoder, whose states are used as they are. */
    static TextCondition combine(TextCombine rule, List<EncoderOutput> outputs) {
        if (rule == null) {
            EncoderOutput only = single(outputs);
            return new TextCondition(only.hidden(), only.length(), only.width(), null);
        }
        return switch (rule) {
            case SD3 -> sd3(outputs);
            case SDXL -> sdxl(outputs);
        };
    }

    /**
     * CLIP-L and CLIP-G side by side per token, zero-padded to T5's width, followed by T5's tokens; pooled is CLIP-L's
     * then CLIP-G's.
     */
    private static TextCondition sd3(List<EncoderOutput> outputs) {
        require(outputs, 3, "sd3");
        EncoderOutput l = outputs.get(0);
        EncoderOutput g = outputs.get(1);
        EncoderOutput t5 = outputs.get(2);
        sameLength(l, g, "sd3");
        if (l.width() + g.width() > t5.width()) {
            throw new IllegalArgumentException("sd3: CLIP-L + CLIP-G have " + (l.width() + g.width())
                    + " features, more than T5's " + t5.width());
        }
        int width = t5.width();
        float[] states = new float[(l.length() + t5.length()) * width];
        sideBySide(l, g, states, width);
        System.arraycopy(t5.hidden(), 0, states, l.length() * width, t5.hidden().length);
        return new TextCondition(states, l.length() + t5.length(), width, concat(pooled(l, "CLIP-L"),
                pooled(g, "CLIP-G")));
    }

    /** CLIP-L and CLIP-G side by side per token; pooled is CLIP-G's. */
    private static TextCondition sdxl(List<EncoderOutput> outputs) {
        require(outputs, 2, "sdxl");
        EncoderOutput l = outputs.get(0);
        EncoderOutput g = outputs.get(1);
        sameLength(l, g, "sdxl");
        int width = l.width() + g.width();
        float[] states = new float[l.length() * width];
        sideBySide(l, g, states, width);
        return new TextCondition(states, l.length(), width, pooled(g, "CLIP-G").clone());
    }

    /** Row t of {@code out} (rows of {@code rowWidth}) starts with l's row t then g's; the rest stays zero. */
    private static void sideBySide(EncoderOutput l, EncoderOutput g, float[] out, int rowWidth) {
        for (int t = 0; t < l.length(); t++) {
            System.arraycopy(l.hidden(), t * l.width(), out, t * rowWidth, l.width());
            System.arraycopy(g.hidden(), t * g.width(), out, t * rowWidth + l.width(), g.width());
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = new float[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] pooled(EncoderOutput e, String which) {
        if (e.pooled() == null) {
            throw new IllegalArgumentException(which + " gave no pooled output");
        }
        return e.pooled();
    }

    private static EncoderOutput single(List<EncoderOutput> outputs) {
        require(outputs, 1, "a single text encoder");
        return outputs.get(0);
    }

    private static void require(List<EncoderOutput> outputs, int count, String rule) {
        if (outputs.size() != count) {
            throw new IllegalArgumentException(rule + " combines " + count + " encoder(s), got " + outputs.size());
        }
    }

    private static void sameLength(EncoderOutput l, EncoderOutput g, String rule) {
        if (l.length() != g.length()) {
            throw new IllegalArgumentException(rule + ": CLIP-L gives " + l.length() + " tokens, CLIP-G "
                    + g.length());
        }
    }
}
