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
import dev.sagestudio.models.runtime.DeviceAttentionKernel;
import dev.sagestudio.models.runtime.DeviceMemory;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.InPlaceKernelSteps;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import dev.sagestudio.models.runtime.OrtTensor;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.TensorMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

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
    private final GpuAttentionBackend.Variant variant;
    private final List<GpuOutputCheck> checks = new ArrayList<>();
    /** The device memory as allocated, whose kept blocks {@link #close()} frees. */
    private final GpuDeviceMemory ownMemory;
    private DeviceMemory deviceMemory;
    private TensorMemory memory;
    private DeviceAttentionKernel kernel;
    /** Re-runs nodes whose quantized output was not finite: flash-fp16; none when the kernel is flash-fp16 itself. */
    private DeviceAttentionKernel fullPrecision;

    private DeviceOnnxPath(GpuBackends gpu, CudaStream stream, OrtRuntime runtime, GpuDeviceMemory deviceMemory,
                           TensorMemory memory, GpuAttentionBackend.Variant variant) {
        this.gpu = gpu;
        this.variant = variant;
        this.kernel = new GpuDeviceKernel(gpu.backend(variant));
        this.fullPrecision = variant.quantized()
                ? new GpuDeviceKernel(gpu.backend(GpuAttentionBackend.Variant.FLASH_FP16)) : null;
        this.stream = stream;
        this.runtime = runtime;
        this.ownMemory = deviceMemory;
        this.deviceMemory = deviceMemory;
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

    /**
     * How the segments' ONNX Runtime sessions get device memory. {@link #SHARED} is the default: a cut graph is many
     * sessions, and with an arena each they keep, summed, the most each segment ever needed (on an H100 the Wan 2.1
     * 33-frame step peaked at 78.4 GiB with {@link #PER_SESSION} and 31.0 GiB shared, and 81 frames fit only shared,
     * at about the same step time: models/bench/results/real-shapes-2026-12-06.md).
     */
    public enum SegmentArenas {
        /** One arena for all sessions of the device ({@link OrtRuntime#shareOneArena()}). */
        SHARED,
        /** ONNX Runtime's default: an arena per session. */
        PER_SESSION
    }

    /** As {@link #open(int, String, int)} for the catalog's entry {@code backend}, the sessions sharing one arena. */
    public static DeviceOnnxPath open(int device, BackendDescriptor backend, int threads) {
        return open(device, backend, threads, SegmentArenas.SHARED);
    }

    /** As {@link #open(int, BackendDescriptor, int)} with the segments' arenas as {@code arenas} says. */
    public static DeviceOnnxPath open(int device, BackendDescriptor backend, int threads, SegmentArenas arenas) {
        GpuAttentionBackend.Variant variant = backend.gpuVariant().orElseThrow(() -> new IllegalArgumentException(
                "'" + backend.name() + "' is not a GPU attention backend; the device path runs "
                        + BackendCatalog.standard().gpuNames()));
        GpuBackends gpu = GpuBackends.open(device);
        CudaStream stream = null;
        OrtRuntime runtime = null;
        try {
            stream = gpu.context().createStream();
            runtime = OrtRuntime.cuda(device, stream.rawHandle(), threads);
            if (arenas == SegmentArenas.SHARED) {
                runtime.shareOneArena();
            }
            GpuDeviceMemory deviceMemory = new GpuDeviceMemory(gpu.context(), stream);
            TensorMemory memory = TensorMemory.device(deviceMemory, OrtRuntime.cudaMemory(device), false);
            return new DeviceOnnxPath(gpu, stream, runtime, deviceMemory, memory, variant);
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
     * reference with its inputs copied across, reported in {@code attention().fallbacks()}. Every attention
     * output is checked for NaN/Inf on the device ({@link GpuOutputCheck}, one slot per attention node, read once
     * per run); a quantized kernel's bad node is run again with flash-fp16 ({@link PartitionedModel#onNonFinite}).
     */
    public PartitionedModel partitioned(PartitionPlan plan) {
        return new PartitionedModel(plan, checkedSteps(plan, kernel, fullPrecision), runtime, memory);
    }

    /** {@code plan} on the device with the given attention steps (e.g. {@link #timingSteps} behind a switch). */
    public PartitionedModel partitioned(PartitionPlan plan, AttentionSteps steps) {
        return new PartitionedModel(plan, steps, runtime, memory);
    }

    /**
     * The steps {@link #partitioned(PartitionPlan)} uses, for the GPU kernel of {@code backend} (any GPU backend, not
     * only the one this path was opened for), with the stream synchronized after each attention call: a run's
     * attention time is what the kernels took on the GPU (not the time to queue them) and its ONNX Runtime time is the
     * segments' own. For step timings; costs one wait per attention call (ONNX Runtime already waits at the end of
     * every segment).
     */
    public InPlaceKernelSteps timingSteps(PartitionPlan plan, BackendDescriptor backend) {
        return steps(plan, backend).waitingForEachCall(stream::synchronize);
    }

    /**
     * The steps {@link #partitioned(PartitionPlan)} uses, for the GPU kernel of {@code backend} (any GPU backend, not
     * only the one this path was opened for): each attention call is queued on the stream and not waited for.
     */
    public InPlaceKernelSteps steps(PartitionPlan plan, BackendDescriptor backend) {
        GpuAttentionBackend.Variant v = backend.gpuVariant().orElseThrow(() -> new IllegalArgumentException(
                "'" + backend.name() + "' is not a GPU attention backend"));
        DeviceAttentionKernel chosen = new GpuDeviceKernel(gpu.backend(v));
        DeviceAttentionKernel rerun = v.quantized()
                ? new GpuDeviceKernel(gpu.backend(GpuAttentionBackend.Variant.FLASH_FP16)) : null;
        return checkedSteps(plan, chosen, rerun);
    }

    private InPlaceKernelSteps checkedSteps(PartitionPlan plan, DeviceAttentionKernel chosen,
                                            DeviceAttentionKernel rerun) {
        int attentionNodes = plan.attentionSteps().size();
        checks.removeIf(GpuOutputCheck::isClosed); // closed with their models
        GpuOutputCheck check = new GpuOutputCheck(gpu.context(), Math.max(1, attentionNodes));
        checks.add(check); // closed here too if a model outlives this path's context
        return new InPlaceKernelSteps(chosen, stream.rawHandle(), memory)
                .withHostFallback(new ReferenceAttention()).withOutputCheck(check, rerun);
    }

    /**
     * Puts {@code kernels} around every attention kernel and {@code memories} around the device memory that the
     * models opened from now on use (instrumentation: counting, timing, or faults injected where the driver would
     * raise them). Models opened earlier keep what they had.
     */
    public void interpose(UnaryOperator<DeviceAttentionKernel> kernels, UnaryOperator<DeviceMemory> memories) {
        kernel = kernels.apply(kernel);
        fullPrecision = fullPrecision == null ? null : kernels.apply(fullPrecision);
        deviceMemory = memories.apply(deviceMemory);
        memory = TensorMemory.device(deviceMemory, memory.ortMemory(), false);
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
                + Long.toHexString(stream.rawHandle())
                + (runtime.sharesOneArena() ? ", one arena for all segments" : ", an arena per segment")
                + (!runtime.queuesRunsWithoutWaiting() ? ", each ONNX Runtime run waits for the stream"
                        : runtime.sharesPinnedMemory() ? ", runs queued without waiting (pinned buffers from one plain"
                                + " allocator)"
                        : ", runs queued without waiting (each session's pinned arena: the environment's plain"
                                + " allocator could not be set up)");
    }

    /**
     * Sessions opened from now on return from a run once its work is queued on the shared stream
     * ({@link OrtRuntime#queueRunsWithoutWaiting}), and wait for the stream before they close.
     */
    public void queueRunsWithoutWaiting() {
        runtime.queueRunsWithoutWaiting(stream::synchronize);
    }

    /**
     * As {@link #queueRunsWithoutWaiting}, only where ONNX Runtime took the shared plain pinned allocator (else runs keep
     * waiting, as {@link #describe()} then says); true if runs are queued from now on. What the app does.
     */
    public boolean queueRunsWithoutWaitingWhereSafe() {
        return runtime.queueRunsWithoutWaitingWhereSafe(stream::synchronize);
    }

    /**
     * Records {@code model}'s steps {@code recorded} as a CUDA graph with {@code example}'s shapes (see
     * {@link CapturedSteps}); the model must be one of this path's ({@link #partitioned}) and its runs queue-only
     * ({@link #queueRunsWithoutWaiting}).
     */
    public CapturedSteps record(PartitionedModel model, Map<String, HostArray> example,
                                PartitionedModel.StepRange recorded) {
        return CapturedSteps.record(model, memory(), ownMemory, stream, runtime.queuesRunsWithoutWaiting(), example,
                recorded);
    }

    /**
     * As {@link #record}, with the example inputs already on the device and {@code after} recorded behind the steps
     * (see {@link CapturedSteps#recordResident}).
     */
    public CapturedSteps recordResident(PartitionedModel model, Map<String, OrtTensor> example,
                                        PartitionedModel.StepRange recorded,
                                        BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>,
                                                Map<String, OrtTensor>> after) {
        return CapturedSteps.recordResident(model, memory(), ownMemory, stream, runtime.queuesRunsWithoutWaiting(),
                example, recorded, after);
    }

    /** Device buffers of our context still open (attention outputs not yet freed, kernel workspaces). */
    public long liveDeviceAllocations() {
        return gpu.context().liveAllocations();
    }

    /**
     * Device buffers of our context in use: {@link #liveDeviceAllocations()} less those kept idle for reuse (what a run
     * that ended, finished or not, must not leave growing).
     */
    public long inUseDeviceAllocations() {
        return gpu.context().liveAllocations() - ownMemory.idleAllocations();
    }

    /** The bytes of our context's open device buffers (attention outputs in use or kept idle, kernel workspaces). */
    public long liveDeviceBytes() {
        return gpu.context().liveBytes();
    }

    /** The bytes of those buffers kept idle for reuse. */
    public long idleDeviceBytes() {
        return ownMemory.idleBytes();
    }

    @Override
    public void close() {
        try {
            checks.forEach(GpuOutputCheck::close);
            checks.clear();
            // queued runs' host functions hold references into the runtime's arenas: let them run first
            stream.synchronize();
            runtime.close();
            ownMemory.close();
            stream.synchronize();
            stream.close();
        } finally {
            gpu.close();
        }
    }
}
