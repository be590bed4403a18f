package dev.sagestudio.app.service;

import java.util.Optional;

/**
 * One finished denoising step, as the progress bar shows it.
 *
 * @param step steps done (1-based: 1 after the first step)
 * @param steps steps in the run
 * @param secondsPerStep wall time of this step
 * @param etaSeconds estimated time left (this step's time × steps left)
 * @param preview the predicted clean sample, on the steps a preview was asked for
 */
public record StepProgress(int step, int steps, double secondsPerStep, double etaSeconds, Optional<Frames> preview) {

    public double fraction() {
        return steps == 0 ? 0 : step / (double) steps;
    }
}
