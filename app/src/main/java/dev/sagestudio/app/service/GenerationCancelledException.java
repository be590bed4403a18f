package dev.sagestudio.app.service;

/** A generation stopped because the user cancelled it; says how far it got. */
public final class GenerationCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GenerationCancelledException(String message) {
        super(message);
    }
}
