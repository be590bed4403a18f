package dev.sagestudio.models.runtime;

/** ONNX Runtime failed or is unavailable; the message names what was being done and what ORT said. */
public final class OrtRuntimeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OrtRuntimeException(String message) {
        super(message);
    }

    public OrtRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
