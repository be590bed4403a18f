package dev.sagestudio.models.pipeline;

/** Receives one {@link StepEvent} after each denoising step, on the generating thread. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = event -> { };

    /** Step {@code event.step()} (0-based) has finished. */
    void onStep(StepEvent event);

    /** Step {@code step} is about to start (the denoiser has not run yet). */
    default void beforeStep(int step, int steps) {
    }
}
