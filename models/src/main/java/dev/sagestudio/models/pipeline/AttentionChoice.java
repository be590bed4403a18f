package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.util.Objects;
import java.util.Optional;

/**
 * The attention backend a run asked for and the one that will actually run, with the reason whenever they
 * differ: the value {@link AttentionResolver} returns, holding what it opened. Nothing falls back silently: a GPU
 * backend name runs on the GPU, or fails with the reason the GPU cannot be used, or — only when the caller allows
 * it — runs its CPU counterpart and {@link #fallbackReason()} says so.
 *
 * <p>{@value #ONNX_RUNTIME} is a choice too: no SageStudio backend; the denoiser runs whole in ONNX Runtime, whose own
 * attention kernels run its attention (the fastest CPU path, and the baseline the substitutions are compared with).
 *
 * <p>A GPU backend runs on the zero-copy device path when ONNX Runtime's CUDA EP can start ({@link #device()}: the
 * denoiser's segments on the CUDA EP, our kernels reading Q, K and V where the segments left them, one stream).
 * When the CUDA EP cannot start (the build's ONNX Runtime natives are the CPU-only ones, or CUDA libraries are
 * missing) it is used through its host API instead — Q, K and V uploaded and O downloaded for every call, ONNX
 * Runtime on the CPU — and {@link #note()} says so and why. Close the choice to release the GPU.
 *
 * @param requested the name the user asked for
 * @param backend the backend that runs (its {@link AttentionBackend#name()} is what ran); null for
 *                {@value #ONNX_RUNTIME}
 * @param fallbackReason why {@code backend} is not {@code requested}; empty when it is
 * @param note what else the user should know about how it runs (the device path, or host copies and why)
 * @param device the zero-copy device path the denoiser runs on; empty on the host paths
 * @param owned what {@link #close()} releases (the GPU context, the device path), or null
 */
public record AttentionChoice(String requested, AttentionBackend backend, Optional<String> fallbackReason,
                              Optional<String> note, Optional<DeviceOnnxPath> device, AutoCloseable owned)
        implements AutoCloseable {

    /** The choice that leaves attention to ONNX Runtime. */
    public static final String ONNX_RUNTIME = BackendCatalog.ONNX_RUNTIME;

    public AttentionChoice {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(fallbackReason, "fallbackReason");
        Objects.requireNonNull(note, "note");
        Objects.requireNonNull(device, "device");
        if (backend == null && fallbackReason.isPresent()) {
            throw new IllegalArgumentException("a fallback must name the backend that runs");
        }
    }

    /**
     * On the host API path of a GPU backend: its CPU counterpart, which runs the nodes whose shape the GPU kernel
     * refuses (head dims other than 64 and 128), each reported as a fallback. Empty otherwise (CPU backends refuse
     * with their reason; the device path has its own per-node fallback).
     */
    public Optional<AttentionBackend> shapeFallback() {
        Optional<String> cpuName = BackendCatalog.standard().find(requested).flatMap(BackendDescriptor::cpuCounterpart);
        return cpuName.isEmpty() || device.isPresent() || fallbackReason.isPresent() || backend == null
                ? Optional.empty() : Optional.of(BackendCatalog.standard().require(cpuName.get()).createCpu());
    }

    /** Whether ONNX Runtime runs the attention (no SageStudio backend). */
    public boolean isOnnxRuntime() {
        return backend == null;
    }

    /** The name of what runs attention: the backend's name, or {@value #ONNX_RUNTIME}. */
    public String name() {
        return backend == null ? ONNX_RUNTIME : backend.name();
    }

    /** The backend, or an error saying that {@value #ONNX_RUNTIME} has none (for work that needs one). */
    public AttentionBackend requireBackend(String forWhat) {
        if (backend == null) {
            throw new IllegalArgumentException(forWhat + " needs a SageStudio attention backend; '" + ONNX_RUNTIME
                    + "' runs attention inside ONNX Runtime, where its inputs cannot be reached");
        }
        return backend;
    }

    /** Releases the GPU context if this choice opened one; idempotent through the GPU runtime's own checks. */
    @Override
    public void close() {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not release " + requested + ": " + e.getMessage(), e);
            }
        }
    }
}
