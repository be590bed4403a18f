package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.attention.AttentionBackend;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Steps computed by a {@link DeviceAttentionKernel} where the tensors are: the kernel reads Q, K and V
 * at the addresses ONNX Runtime left them and writes O into a tensor the next segment reads, so the
 * runner itself copies nothing (staging stays 0).
 *
 * <p>O is allocated in the runner's {@link TensorMemory}: CUDA memory on the device path (with
 * {@code GpuDeviceKernel}), host memory for kernels that work on host addresses (the CPU tests).
 */
public final class InPlaceKernelSteps implements AttentionSteps {
    private static final System.Logger LOG = System.getLogger(InPlaceKernelSteps.class.getName());

    private final DeviceAttentionKernel kernel;
    private final long stream;
    private final TensorMemory memory;
    private final AttentionBackend hostFallback;
    /** Run after each enqueue and counted in the call's time; null: the call's time is only the time to queue it. */
    private final Runnable waitForKernel;
    private final Map<String, String> fallbacks = Collections.synchronizedMap(new LinkedHashMap<>());

    /** O in host memory: for kernels that work on host addresses. */
    public InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream) {
        this(kernel, stream, TensorMemory.host());
    }

    /** O allocated in {@code memory}, the memory the partitioned model keeps its tensors in. */
    public InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream, TensorMemory memory) {
        this(kernel, stream, memory, null, null);
    }

    private InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream, TensorMemory memory,
                               AttentionBackend hostFallback, Runnable waitForKernel) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.stream = stream;
        this.memory = Objects.requireNonNull(memory, "memory");
        this.hostFallback = hostFallback;
        this.waitForKernel = waitForKernel;
    }

    /**
     * The same steps, except that a shape the kernel refuses runs on {@code backend} on the host: Q, K
     * and V are copied out of the runner's memory and O back (counted as staging), and the reason is
     * logged and listed in {@link #fallbacks()}. Without a fallback such a shape stops the run.
     */
    public InPlaceKernelSteps withHostFallback(AttentionBackend backend) {
        return new InPlaceKernelSteps(kernel, stream, memory, Objects.requireNonNull(backend, "backend"), waitForKernel);
    }

    /**
     * The same steps, each followed by {@code waitForStream} (e.g. a stream synchronize) inside its timed span, so
     * that a call's time is the kernel's run time rather than the time to queue it: for step timings that split a
     * step into attention and the rest. Costs one wait per attention call.
     */
    public InPlaceKernelSteps waitingForEachCall(Runnable waitForStream) {
        return new InPlaceKernelSteps(kernel, stream, memory, hostFallback,
                Objects.requireNonNull(waitForStream, "waitForStream"));
    }

    @Override
    public List<String> fallbacks() {
        synchronized (fallbacks) {
            return List.copyOf(fallbacks.values());
        }
    }

    @Override
    public String backendName() {
        return kernel.name();
    }

    @Override
    public OrtTensor run(AttentionNode node, OrtTensor q, OrtTensor k, OrtTensor v, HostAttentionStep.CallSink sink,
                         Transfers transfers) {
        if (q.elemType() != k.elemType() || q.elemType() != v.elemType()) {
            throw new AttentionStepException(node.label() + ": Q, K and V have different element types: "
                    + q.describe() + ", " + k.describe() + ", " + v.describe());
        }
        AttentionShape shape = HostAttentionStep.shapeOf(node, q.elemType(), q.shape(), k.shape(), v.shape());
        Optional<String> unsupported = kernel.unsupportedReason(shape);
        if (unsupported.isPresent()) {
            if (hostFallback == null) {
                throw new UnsupportedAttentionException(kernel.name(), shape, unsupported.get());
            }
            return onHost(node, shape, unsupported.get(), q, k, v, sink, transfers);
        }
        OrtTensor out = memory.allocate(q.elemType(), q.shape());
        try {
            long start = System.nanoTime();
            kernel.enqueue(shape, node.scale().orElse(shape.defaultScale()), q.address(), k.address(), v.address(),
                    out.address(), stream);
            if (waitForKernel != null) {
                waitForKernel.run();
            }
            sink.accept(new HostAttentionStep.Call(node, shape, System.nanoTime() - start));
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private OrtTensor onHost(AttentionNode node, AttentionShape shape, String reason, OrtTensor q, OrtTensor k,
                             OrtTensor v, HostAttentionStep.CallSink sink, Transfers transfers) {
        fallbacks.computeIfAbsent(node.label(), label -> {
            String message = label + ": " + kernel.name() + " cannot run " + shape.describe() + " (" + reason
                    + "); ran " + hostFallback.name() + " on the host instead, copying Q, K, V and O across";
            LOG.log(System.Logger.Level.WARNING, message);
            return message;
        });
        if (memory == TensorMemory.host()) {
            return HostAttentionStep.run(node, hostFallback, q, k, v, sink, transfers);
        }
        // HostAttentionStep counts these crossings as staging (3 in, 1 out).
        try (OrtTensor hq = OrtTensor.copyOf(memory.download(q));
             OrtTensor hk = OrtTensor.copyOf(memory.download(k));
             OrtTensor hv = OrtTensor.copyOf(memory.download(v));
             OrtTensor ho = HostAttentionStep.run(node, hostFallback, hq, hk, hv, sink, transfers)) {
            return memory.upload(ho.toHost());
        }
    }
}
