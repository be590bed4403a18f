package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.output.AtomicFiles;

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
     * A gate for {@link AtomicFiles} that stops the write of a finished generation's output if this token was
     * cancelled meanwhile, so that a cancelled run never replaces the output file.
     */
    public AtomicFiles.CommitGate writeGate(int steps) {
        return () -> {
            if (cancelled) {
                throw new GenerationCancelledException("cancelled while writing the output; nothing was written",
                        steps, steps);
            }
        };
    }

    /** Throws if cancelled; {@code stepsDone} goes into the exception. */
    void throwIfCancelled(int stepsDone, int steps) {
        if (cancelled) {
            throw new GenerationCancelledException(stepsDone, steps);
        }
    }
}
