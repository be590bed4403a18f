package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.AttentionNode;
import java.util.List;
import java.util.Objects;

/**
 * Attention steps whose implementation is swapped between runs of one {@link PartitionedModel}, so that several
 * backends are timed over the same ONNX Runtime sessions (opening the segments of a model at real size takes
 * about a minute). Not for concurrent runs.
 */
public final class SwitchableAttentionSteps implements AttentionSteps {
    private volatile AttentionSteps current;

    public SwitchableAttentionSteps(AttentionSteps first) {
        this.current = Objects.requireNonNull(first, "first");
    }

    /** The steps of the next runs. */
    public void use(AttentionSteps next) {
        current = Objects.requireNonNull(next, "next");
    }

    @Override
    public String backendName() {
        return current.backendName();
    }

    @Override
    public OrtTensor run(AttentionNode node, OrtTensor q, OrtTensor k, OrtTensor v, HostAttentionStep.CallSink sink,
                         Transfers transfers) {
        return current.run(node, q, k, v, sink, transfers);
    }

    /** The fallbacks of the steps in use now. */
    @Override
    public List<String> fallbacks() {
        return current.fallbacks();
    }
}
