package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.models.onnx.AttentionNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** {@link AttentionSteps} on a host backend, with an optional backend for the shapes it refuses. */
final class HostBackendSteps implements AttentionSteps {
    private static final System.Logger LOG = System.getLogger(HostBackendSteps.class.getName());

    private final AttentionBackend backend;
    /** Runs the shapes {@link #backend} refuses; null: a refusal stops the run. */
    private final AttentionBackend fallback;
    private final Map<String, String> fallbacks = Collections.synchronizedMap(new LinkedHashMap<>());

    HostBackendSteps(AttentionBackend backend, AttentionBackend fallback) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.fallback = fallback;
    }

    @Override
    public String backendName() {
        return backend.name();
    }

    @Override
    public OrtTensor run(AttentionNode node, OrtTensor q, OrtTensor k, OrtTensor v, HostAttentionStep.CallSink sink,
                         Transfers transfers) {
        try {
            return HostAttentionStep.run(node, backend, q, k, v, sink, transfers);
        } catch (UnsupportedAttentionException refused) {
            if (fallback == null) {
                throw refused;
            }
            String message = node.label() + ": " + refused.getMessage() + "; ran " + fallback.name() + " instead";
            if (fallbacks.putIfAbsent(node.label(), message) == null) {
                LOG.log(System.Logger.Level.WARNING, message);
            }
            return HostAttentionStep.run(node, fallback, q, k, v, sink, transfers);
        }
    }

    @Override
    public List<String> fallbacks() {
        synchronized (fallbacks) {
            return List.copyOf(fallbacks.values());
        }
    }
}
