package dev.sagestudio.models.pipeline;

import java.util.Optional;

/**
 * One finished denoising step.
 *
 * @param step 0-based index of the step that finished
 * @param steps how many steps the run has
 * @param timestep the value passed to the denoiser at this step
 * @param timing where this step's time went
 * @param elapsedNanos wall time since the run started (text encoding included)
 * @param preview the clean sample predicted at this step, decoded to the output space ([3, H, W] for images,
 *                [3, F, H, W] for video, in {@code output.valueRange}) — present only on the steps the request asked
 *                previews for
 */
public record StepEvent(int step, int steps, float timestep, StepTiming timing, long elapsedNanos,
                        Optional<float[]> preview) {

    /** Fraction of the run's steps done, in (0, 1]. */
    public double fractionDone() {
        return (step + 1) / (double) steps;
    }
}
