package dev.sagestudio.attention;

import dev.sagestudio.attention.tensor.HostTensor;
import java.util.Optional;

/**
 * A way of computing attention. Implementations say up front what they cannot run, and
 * {@link #compute} refuses those calls with {@link UnsupportedAttentionException} rather than
 * silently doing something else.
 */
public interface AttentionBackend {

    /** Stable name used on command lines, in logs and in benchmark records (e.g. {@code sage-int8-fp16}). */
    String name();

    /** Why this backend cannot run {@code shape}, or empty if it can. */
    Optional<String> unsupportedReason(AttentionShape shape);

    /**
     * Computes attention for {@code request}.
     *
     * @return a tensor with Q's extents, dtype and layout
     * @throws UnsupportedAttentionException if {@link #unsupportedReason} names a reason for this shape
     */
    HostTensor compute(AttentionRequest request);

    /** Throws the clear error for {@code shape} if this backend cannot run it. */
    default void requireSupported(AttentionShape shape) {
        Optional<String> reason = unsupportedReason(shape);
        if (reason.isPresent()) {
            throw new UnsupportedAttentionException(name(), shape, reason.get());
        }
    }
}
