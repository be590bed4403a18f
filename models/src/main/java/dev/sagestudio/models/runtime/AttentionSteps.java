package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.onnx.AttentionNode;

/** How a partitioned model computes its substituted attention nodes; closed with the model. */
public interface AttentionSteps extends AutoCloseable {

    /** Name of the backend or kernel, for reports. */
    String backendName();

    /**
     * Computes {@code node}'s output from Q, K and V (owned by the caller) and returns a new tensor
     * the caller owns; records the call in {@code sink} and every copy it makes in {@code transfers}.
     */
    OrtTensor run(AttentionNode node, OrtTensor q, OrtTensor k, OrtTensor v, HostAttentionStep.CallSink sink,
                  Transfers transfers);

    /**
     * Steps that did not run where asked, each with its reason (e.g. a head dim our GPU kernels do not
     * have, run by a host backend instead); empty if none. Never silent: runners report these.
     */
    default java.util.List<String> fallbacks() {
        return java.util.List.of();
    }

    /**
     * The attention outputs of the calls since the last take that held NaN or Inf, in execution order, checked where
     * they lie; reading clears them. Empty for steps that do not check their outputs themselves (on the host path the
     * fidelity guard checks each output as it passes).
     */
    default java.util.List<NonFiniteOutput> takeNonFinite() {
        return java.util.List.of();
    }

    /** The full-precision kernel that can re-run a node whose output was not finite, if these steps have one. */
    default java.util.Optional<String> fullPrecision() {
        return java.util.Optional.empty();
    }

    /**
     * From now on, runs the nodes labelled {@code nodes} with {@link #fullPrecision()} (an empty set: none).
     *
     * @throws UnsupportedOperationException if these steps have no full-precision kernel
     */
    default void runAtFullPrecision(java.util.Set<String> nodes) {
        throw new UnsupportedOperationException(backendName() + " has no full-precision kernel to re-run nodes with");
    }

    /** Frees what the steps hold for the model (the device path's output check); the kernels stay their owner's. */
    @Override
    default void close() {
    }

    /**
     * As {@link #onHost(AttentionBackend)}, but a node whose shape {@code backend} refuses (e.g. a head dim our GPU
     * kernels lack) runs on {@code fallback} instead, logged and listed in {@link #fallbacks()}.
     */
    static AttentionSteps onHost(AttentionBackend backend, AttentionBackend fallback) {
        return new HostBackendSteps(backend, java.util.Objects.requireNonNull(fallback, "fallback"));
    }

    /** Steps computed by a host {@link AttentionBackend}: Q/K/V converted to backend tensors and O back. */
    static AttentionSteps onHost(AttentionBackend backend) {
        return new HostBackendSteps(backend, null);
    }
}
