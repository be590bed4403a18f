package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.scheduler.SchedulerName;
import java.util.Objects;

/**
 * What to generate. Null fields take the bundle's defaults ({@code defaults.steps}, {@code defaults.guidanceScale},
 * {@code defaults.negativePrompt}, the bundle's scheduler).
 *
 * @param prompt the text prompt
 * @param negativePrompt the unconditional prompt for classifier-free guidance; null for the bundle's default
 * @param seed seed of the initial noise (and of ancestral steps' noise)
 * @param steps denoising steps, 1..1000; null for the default
 * @param guidanceScale classifier-free guidance scale in 1..{@value #MAX_GUIDANCE} (1 = no guidance, one denoiser
 *                      pass per step); null for the default
 * @param scheduler sampler overriding the bundle's; null for the bundle's
 * @param previewEvery decode a preview of the predicted clean sample every this many steps (and at the last step);
 *                     0 for none
 */
public record GenerationRequest(String prompt, String negativePrompt, long seed, Integer steps, Double guidanceScale,
                                SchedulerName scheduler, int previewEvery) {

    /** The largest guidance scale accepted, as for a bundle's {@code defaults.guidanceScale}. */
    public static final double MAX_GUIDANCE = 100;

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        if (steps != null && (steps < 1 || steps > 1000)) {
            throw new IllegalArgumentException("steps must be between 1 and 1000, got " + steps);
        }
        if (guidanceScale != null && !(guidanceScale >= 1 && guidanceScale <= MAX_GUIDANCE)) {
            // the bundle's defaults.guidanceScale has the same range; far above it the output saturates or overflows
            throw new IllegalArgumentException("guidance scale must be between 1 and " + (int) MAX_GUIDANCE
                    + " (1 = no guidance), got " + guidanceScale);
        }
        if (previewEvery < 0) {
            throw new IllegalArgumentException("previewEvery must be >= 0, got " + previewEvery);
        }
    }

    /** A prompt with a seed and every other setting from the bundle. */
    public static GenerationRequest of(String prompt, long seed) {
        return new GenerationRequest(prompt, null, seed, null, null, null, 0);
    }

    public GenerationRequest withSteps(Integer value) {
        return new GenerationRequest(prompt, negativePrompt, seed, value, guidanceScale, scheduler, previewEvery);
    }

    public GenerationRequest withGuidance(Double value) {
        return new GenerationRequest(prompt, negativePrompt, seed, steps, value, scheduler, previewEvery);
    }

    public GenerationRequest withNegativePrompt(String value) {
        return new GenerationRequest(prompt, value, seed, steps, guidanceScale, scheduler, previewEvery);
    }

    public GenerationRequest withScheduler(SchedulerName value) {
        return new GenerationRequest(prompt, negativePrompt, seed, steps, guidanceScale, value, previewEvery);
    }

    public GenerationRequest withSeed(long value) {
        return new GenerationRequest(prompt, negativePrompt, value, steps, guidanceScale, scheduler, previewEvery);
    }

    public GenerationRequest withPreviewEvery(int value) {
        return new GenerationRequest(prompt, negativePrompt, seed, steps, guidanceScale, scheduler, value);
    }
}
