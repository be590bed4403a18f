package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.tensor.HostTensor;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of an attention call through {@link GpuBackends#run}: the output, the backend that was
 * asked for, the one that actually ran, and — when they differ — why. A fallback is never silent.
 */
public record AttentionRun(String requestedBackend, String backend, Optional<String> fallbackReason,
                           HostTensor output) {

    public AttentionRun {
        Objects.requireNonNull(requestedBackend, "requestedBackend");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(fallbackReason, "fallbackReason");
        Objects.requireNonNull(output, "output");
        if (requestedBackend.equals(backend) != fallbackReason.isEmpty()) {
            throw new IllegalArgumentException("a fallback needs a reason, and only a fallback has one: requested "
                    + requestedBackend + ", ran " + backend + ", reason " + fallbackReason);
        }
    }

    /** True if a different backend than the one requested produced the output. */
    public boolean fellBack() {
        return fallbackReason.isPresent();
    }
}
