package dev.sagestudio.app.service;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One generation as the user set it up: every value explicit (the form fills in the model's defaults).
 *
 * @param model the model bundle folder
 * @param backend the attention backend asked for
 * @param prompt what to generate
 * @param negativePrompt the unconditional prompt ("" for none)
 * @param seed the noise seed
 * @param steps denoising steps
 * @param guidance classifier-free guidance scale, &gt;= 1
 * @param sampler the sampler's name (e.g. {@code flow_euler})
 * @param previewEvery a preview every this many steps; 0 for none
 * @param threads ONNX Runtime intra-op threads; 0 for its default
 */
public record GenerationSpec(Path model, String backend, String prompt, String negativePrompt, long seed, int steps,
                             double guidance, String sampler, int previewEvery, int threads) {

    public GenerationSpec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampler, "sampler");
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        if (prompt.isBlank()) {
            throw new IllegalArgumentException("the prompt is empty: describe what to generate");
        }
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("steps must be between 1 and 1000, got " + steps);
        }
        if (!(guidance >= 1) || Double.isInfinite(guidance)) {
            throw new IllegalArgumentException("guidance must be a number >= 1 (1 = no guidance), got " + guidance);
        }
        if (previewEvery < 0 || threads < 0) {
            throw new IllegalArgumentException("preview frequency and threads must not be negative");
        }
    }
}
