package dev.sagestudio.attention.catalog;

import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.KernelModule;
import java.util.Objects;
import java.util.Optional;

/**
 * What this machine offers the backends: the driver's answer, whether this build carries compiled kernels, and why
 * ONNX Runtime's CUDA EP cannot start (known only to the caller that links ONNX Runtime; empty when it can or was not
 * asked).
 *
 * @param gpu          the driver probe
 * @param kernelsReason why this build has no kernels; empty when it has them
 * @param cudaEpReason why ONNX Runtime's CUDA EP cannot start; empty when it can or is not known
 */
public record BackendProbe(GpuStatus gpu, Optional<String> kernelsReason, Optional<String> cudaEpReason) {

    public BackendProbe {
        Objects.requireNonNull(gpu, "gpu");
        Objects.requireNonNull(kernelsReason, "kernelsReason");
        Objects.requireNonNull(cudaEpReason, "cudaEpReason");
    }

    /** This machine and build, with the CUDA EP's state not known. */
    public static BackendProbe here() {
        return new BackendProbe(GpuStatus.probe(), KernelModule.missingReason(), Optional.empty());
    }

    /** The same probe with the CUDA EP's state as the caller found it. */
    public BackendProbe withCudaEpReason(Optional<String> reason) {
        return new BackendProbe(gpu, kernelsReason, reason);
    }

    /** The device the GPU backends open (ordinal 0), when the driver found one. */
    public Optional<DeviceInfo> device() {
        return gpu.available() && !gpu.devices().isEmpty() ? Optional.of(gpu.devices().get(0)) : Optional.empty();
    }
}
