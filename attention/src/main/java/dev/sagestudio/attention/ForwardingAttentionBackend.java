package dev.sagestudio.attention;

import java.util.Objects;
import java.util.Optional;

/**
 * A backend that wraps another and is named after it (what runs is the wrapped one's work): wrappers that watch or
 * change calls extend this and override {@link #compute}.
 */
public abstract class ForwardingAttentionBackend implements AttentionBackend {

    protected final AttentionBackend delegate;

    protected ForwardingAttentionBackend(AttentionBackend delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Optional<String> unsupportedReason(AttentionShape shape) {
        return delegate.unsupportedReason(shape);
    }
}
