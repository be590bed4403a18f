package dev.sagestudio.attention.catalog;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.tensor.DType;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What one attention backend is and needs, as the {@link BackendCatalog} lists it.
 *
 * @param name                 the name on command lines, in reports and in the UI picker
 * @param device               where it runs
 * @param cpuCounterpart       for a GPU backend, the CPU backend that computes the same thing (the emulator of its
 *                             quantization; the float64 reference for exact attention); empty for CPU backends
 * @param minComputeCapability for a GPU backend, the lowest compute capability it runs on ({@code 80} for 8.0);
 *                             0 for CPU backends
 * @param headDims             the head dims it takes; empty when any head dim is taken
 * @param dtypes               the input dtypes it takes
 * @param description          one line for help texts and pickers
 * @param cpuFactory           makes a CPU backend; empty for GPU backends and for {@link BackendCatalog#ONNX_RUNTIME}
 * @param gpuVariant           the kernel family of a GPU backend; empty for CPU backends
 */
public record BackendDescriptor(String name, BackendDevice device, Optional<String> cpuCounterpart,
                                int minComputeCapability, List<Integer> headDims, Set<DType> dtypes,
                                String description, Optional<Supplier<AttentionBackend>> cpuFactory,
                                Optional<GpuAttentionBackend.Variant> gpuVariant) {

    public BackendDescriptor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(cpuCounterpart, "cpuCounterpart");
        headDims = List.copyOf(headDims);
        dtypes = Set.copyOf(dtypes);
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(cpuFactory, "cpuFactory");
        Objects.requireNonNull(gpuVariant, "gpuVariant");
        if ((device == BackendDevice.GPU) != gpuVariant.isPresent()) {
            throw new IllegalArgumentException(name + ": exactly the GPU backends name a kernel variant");
        }
        if ((device == BackendDevice.GPU) != cpuCounterpart.isPresent()) {
            throw new IllegalArgumentException(name + ": exactly the GPU backends name a CPU counterpart");
        }
    }

    /** Whether this is a GPU backend. */
    public boolean isGpu() {
        return device == BackendDevice.GPU;
    }

    /** Whether this choice leaves attention to ONNX Runtime (no SageStudio backend substitutes its nodes). */
    public boolean runsInOnnxRuntime() {
        return device == BackendDevice.CPU && cpuFactory.isEmpty();
    }

    /** A new instance of this CPU backend. */
    public AttentionBackend createCpu() {
        return cpuFactory.orElseThrow(() -> new IllegalStateException(name + " is not a CPU backend of ours"))
                .get();
    }

    /** This GPU backend on {@code gpu}'s device (shared with the other backends opened there). */
    public GpuAttentionBackend createOn(GpuBackends gpu) {
        return gpu.backend(gpuVariant.orElseThrow(() -> new IllegalStateException(name + " is not a GPU backend")));
    }
}
