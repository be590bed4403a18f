package dev.sagestudio.models.pipeline;

/**
 * One prompt's text inputs to the denoiser.
 *
 * @param hiddenStates [length, width], row-major: its {@code encoder_hidden_states}
 * @param pooled       its {@code pooled_text_embeds}, or null where the model has none (a single text encoder)
 */
public record TextCondition(float[] hiddenStates, int length, int width, float[] pooled) {

    public TextCondition {
        if (hiddenStates.length != (long) length * width) {
            throw new IllegalArgumentException("text states hold " + hiddenStates.length + " values, not " + length
                    + " x " + width);
        }
    }

    /** All zeros of the same shape (SDXL's unconditional input for an empty negative prompt). */
    TextCondition zeros() {
        return new TextCondition(new float[hiddenStates.length], length, width,
                pooled == null ? null : new float[pooled.length]);
    }
}
