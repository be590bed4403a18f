package dev.sagestudio.models.runtime.device;

import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.AttentionSteps;
import dev.sagestudio.models.runtime.InPlaceKernelSteps;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.TensorMemory;

/**
 * The zero-copy GPU path, assembled: our kernels' context (the device's primary context), one CUDA
 * stream shared by ONNX Runtime's CUDA EP ({@code user_compute_stream}) and our kernels, segment outputs
 * bound to CUDA memory, attention outputs allocated as device buffers wrapped as ONNX Runtime tensors.
 *
 * <p>Verified on an H100 (DevicePathGpuTest, PipelineDevicePathGpuTest); see {@code docs/onnx-runtime.md},
 * "Device path".
 */
public final class DeviceOnnxPath implements AutoCloseable {
    private final GpuBackends gpu;
    private final CudaStream stream;
    private final OrtRuntime runtime;
    private final TensorMemory memory;
    private final GpuDeviceKernel kernel;
    private final GpuAttentionBackend.Variant variant;

    private DeviceOnnxPath(GpuBackends gpu, CudaStream stream, OrtRuntime runtime, TensorMemory memory,
                           GpuAttentionBackend.Variant variant) {
        this.gpu = gpu;
        this.variant = variant;
        this.kernel = new GpuDeviceKernel(gpu.backend(variant));
        this.stream = stream;
        this.runtime = runtime;
        this.memory = memory;
    }

    /**
     * Opens CUDA device {@code device} for the GPU attention backend called {@code backendName}.
     *
     * @throws IllegalArgumentException if {@code backendName} is not a GPU backend
     * @throws GpuUnavailableException  if there is no usable GPU, driver or kernel build (with the reason)
     * @throws OrtRuntimeException      if ONNX Runtime's CUDA EP cannot start (with the reason)
     */
    public static DeviceOnnxPath open(int device, String backendName, int threads) {
        return open(device, BackendCatalog.standard().require(backendName), threads);
    }

    /** As {@link #open(int, String, int)} for the catalog's entry {@code backend}. */
    public static DeviceOnnxPath open(int device, BackendDescriptor backend, int threads) {
        GpuAttentionBackend.Variant variant = backend.gpuVariant().orElseThrow(() -> new IllegalArgumentException(
                "'" + backend.name() + "' is not a GPU attention backend; the device path runs "
                        + BackendCatalog.standard().gpuNames()));
        GpuBackends gpu = GpuBackends.open(device);
        CudaStream stream = null;
        OrtRuntime runtime = null;
        try {
            stream = gpu.context().createStream();
            runtime = OrtRuntime.cuda(device, stream.rawHandle(), threads);
            TensorMemory memory = TensorMemory.device(new GpuDeviceMemory(gpu.context(), stream),
                    OrtRuntime.cudaMemory(device), false);
            return new DeviceOnnxPath(gpu, stream, runtime, memory, variant);
        } catch (RuntimeException e) {
            if (runtime != null) {
                runtime.close();
            }
            if (stream != null) {
                stream.close();
            }
            gpu.close();
            throw e;
        }
    }

    /**
     * {@code plan} on the device: segments on the CUDA EP, attention through our kernel, tensors in CUDA
     * memory. A step whose shape the kernel refuses (head dims other than 64 and 128) runs on the CPU
     * reference with its inputs copied across, reported in {@code attention().fallbacks()}.
     */
    public PartitionedModel partitioned(PartitionPlan plan) {
        return new PartitionedModel(plan, steps(), runtime, memory);
    }

    /** {@code plan} on the device with the given attention steps (e.g. {@link #timingSteps} behind a switch). */
    public PartitionedModel partitioned(PartitionPlan plan, AttentionSteps steps) {
        return new PartitionedModel(plan, steps, runtime, memory);
    }

    /**
     * Steps with the GPU kernel of {@code backend} (any GPU backend, not only the one this path was opened for) on this
     * path's stream and memory, the stream synchronized after each attention call: a run's attention time is what the
     * kernels took on the GPU (not the time to queue them) and its ONNX Runtime time is the segments' own. For step
     * timings; costs one wait per attention call (ONNX Runtime already waits at the end of every segment).
     */
    public InPlaceKernelSteps timingSteps(BackendDescriptor backend) {
        GpuAttentionBackend.Variant v = backend.gpuVariant().orElseThrow(() -> new IllegalArgumentException(
                "'" + backend.name() + "' is not a GPU attention backend"));
        return new InPlaceKernelSteps(new GpuDeviceKernel(gpu.backend(v)), stream.rawHandle(), memory)
                .withHostFallback(new ReferenceAttention()).waitingForEachCall(stream::synchronize);
    }

    private InPlaceKernelSteps steps() {
        return new InPlaceKernelSteps(kernel, stream.rawHandle(), memory).withHostFallback(new ReferenceAttention());
    }

    /** The same kernel through its host API (uploads Q, K, V; downloads O), for work outside the device path. */
    public GpuAttentionBackend backend() {
        return gpu.backend(variant);
    }

    /** The GPU's name, as the driver reports it. */
    public String deviceName() {
        return gpu.context().device().name();
    }

    /** The CUDA runtime (also for the whole-graph baseline on the same device). */
    public OrtRuntime runtime() {
        return runtime;
    }

    public TensorMemory memory() {
        return memory;
    }

    public String describe() {
        return kernel.name() + " on " + gpu.context().device().describe() + ", ONNX Runtime CUDA EP on stream 0x"
                + Long.toHexString(stream.rawHandle());
    }

    /** Device buffers of our context still open (attention outputs not yet freed, kernel workspaces). */
    public long liveDeviceAllocations() {
        return gpu.context().liveAllocations();
    }

    @Override
    public void close() {
        try {
            runtime.close();
            stream.synchronize();
            stream.close();
        } finally {
            gpu.close();
        }
    }
}
