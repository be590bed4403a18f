package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.ForwardingAttentionBackend;
import dev.sagestudio.attention.tensor.HostTensor;
import java.util.function.UnaryOperator;

/**
 * Runs the wrapped backend, but hands the output of call number {@code call} (0-based, counted over the pipeline's
 * life) through {@code change} once: to corrupt it (NaN) or to fail instead (a fault the GPU backends raise).
 */
final class OneCallChanged extends ForwardingAttentionBackend {
    private final int call;
    private final UnaryOperator<HostTensor> change;
    private int calls;

    OneCallChanged(AttentionBackend delegate, int call, UnaryOperator<HostTensor> change) {
        super(delegate);
        this.call = call;
        this.change = change;
    }

    @Override
    public HostTensor compute(AttentionRequest request) {
        HostTensor out = delegate.compute(request);
        return calls++ == call ? change.apply(out) : out;
    }
}
