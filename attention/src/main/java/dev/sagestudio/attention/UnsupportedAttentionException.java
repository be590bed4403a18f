package dev.sagestudio.attention;

/** A backend was asked for attention it does not implement; the message names the backend and why. */
public final class UnsupportedAttentionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String backend;
    private final String reason;

    public UnsupportedAttentionException(String backend, AttentionShape shape, String reason) {
        super("attention backend '" + backend + "' cannot run " + shape.describe() + ": " + reason);
        this.backend = backend;
        this.reason = reason;
    }

    public String backend() {
        return backend;
    }

    public String reason() {
        return reason;
    }
}
