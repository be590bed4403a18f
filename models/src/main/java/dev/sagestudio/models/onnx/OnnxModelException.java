package dev.sagestudio.models.onnx;

/** An ONNX file that cannot be used as given; the message says which file or node and why. */
public final class OnnxModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OnnxModelException(String message) {
        super(message);
    }

    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
