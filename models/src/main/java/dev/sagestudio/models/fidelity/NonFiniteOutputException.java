package dev.sagestudio.models.fidelity;

import java.util.Optional;

/**
 * A generation whose output holds NaN or Inf: a wrong picture that must not be written as if it were fine. Carries
 * the finished result (of whatever type the pipeline produces) so that a caller asked to keep bad output can still
 * write it.
 */
public final class NonFiniteOutputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Object result;

    public NonFiniteOutputException(String message, Object result) {
        super(message);
        this.result = result;
    }

    /** The finished (non-finite) result, if the caller should want it, as {@code type}. */
    public <T> Optional<T> result(Class<T> type) {
        return type.isInstance(result) ? Optional.of(type.cast(result)) : Optional.empty();
    }
}
