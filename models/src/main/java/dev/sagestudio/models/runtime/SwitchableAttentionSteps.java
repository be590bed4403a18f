package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.AttentionNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Attention steps whose implementation is swapped between runs of one {@link PartitionedModel}, so that several
 * backends are timed over the same ONNX Runtime sessions (opening the segments of a model at real size takes
 * about a minute). Everything is asked of the steps in use; closing closes every steps that was used. Not for
 * concurrent runs.
 */
public final class SwitchableAttentionSteps implements AttentionSteps {
    private final List<AttentionSteps> used = new ArrayList<>();
    private volatile AttentionSteps current;

    public SwitchableAttentionSteps(AttentionSteps first) {
        use(first);
    }

    /** The steps of the next runs; closed with these. */
    public synchronized void use(AttentionSteps next) {
        current = Objects.requireNonNull(next, "next");
        if (used.stream().noneMatch(s -> s == next)) {
            used.add(next);
        }
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

    @Override
    public List<String> fallbacks() {
        return current.fallbacks();
    }

    @Override
    public List<NonFiniteOutput> takeNonFinite() {
        return current.takeNonFinite();
    }

    @Override
    public Optional<String> fullPrecision() {
        return current.fullPrecision();
    }

    @Override
    public void runAtFullPrecision(Set<String> nodes) {
        current.runAtFullPrecision(nodes);
    }

    @Override
    public synchronized void close() {
        RuntimeException first = null;
        for (AttentionSteps steps : used) {
            try {
                steps.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        used.clear();
        if (first != null) {
            throw first;
        }
    }
}
