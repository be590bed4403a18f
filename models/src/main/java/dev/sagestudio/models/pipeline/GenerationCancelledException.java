package dev.sagestudio.models.pipeline;

/** A generation stopped by its {@link CancellationToken}; says how many denoising steps had completed. */
public final class GenerationCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int stepsDone;
    private final int steps;

    public GenerationCancelledException(int stepsDone, int steps) {
        this("generation cancelled after " + stepsDone + " of " + steps + " denoising steps", stepsDone, steps);
    }

    GenerationCancelledException(String message, int stepsDone, int steps) {
        super(message);
        this.stepsDone = stepsDone;
        this.steps = steps;
    }

    public int stepsDone() {
        return stepsDone;
    }

    public int steps() {
        return steps;
    }
}
