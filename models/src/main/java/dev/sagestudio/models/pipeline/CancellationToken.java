package dev.sagestudio.models.pipeline;


/**
 * Asks a running generation to stop. The pipeline checks it before every denoising step (and between the
 * conditional and unconditional halves when they run as separate calls), so a cancelled run stops within one
 * step, frees the run's tensors and throws {@link GenerationCancelledException}. Thread-safe.
 */
public final class CancellationToken {
    private volatile boolean cancelled;

    /** Requests the stop; may be called from any thread, any number of times. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /**
     * Throws if this token was cancelled while a finished generation's output was being written: called just before
     * the new file replaces the target (as an atomic write's commit gate), so that a cancelled run never replaces the
     * output file.
     */
    public void checkBeforeWrite(int steps) {
        if (cancelled) {
            throw new GenerationCancelledException("cancelled while writing the output; nothing was written", steps,
                    steps);
        }
    }

    /** Throws if cancelled; {@code stepsDone} goes into the exception. */
    void throwIfCancelled(int stepsDone, int steps) {
        if (cancelled) {
            throw new GenerationCancelledException(stepsDone, steps);
        }
    }
}
