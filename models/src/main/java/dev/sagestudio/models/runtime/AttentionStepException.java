package dev.sagestudio.models.runtime;

/** A substituted attention node received inputs it cannot run; the message names the node and why. */
public final class AttentionStepException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AttentionStepException(String message) {
        super(message);
    }
}
