package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.runtime.device.DeviceAttentionKernel;
import java.util.Objects;

/**
 * Steps computed by a {@link DeviceAttentionKernel} where the tensors are: the kernel reads Q, K and V
 * at the addresses ONNX Runtime left them and writes O into a tensor the next segment reads, so the
 * runner itself copies nothing (staging stays 0).
 *
 * <p>O is allocated in the runner's {@link TensorMemory}: CUDA memory on the device path (with
 * {@code GpuDeviceKernel}), host memory for kernels that work on host addresses (the CPU tests).
 */
public final class InPlaceKernelSteps implements AttentionSteps {
    private final DeviceAttentionKernel kernel;
    private final long stream;
    private final TensorMemory memory;

    /** O in host memory: for kernels that work on host addresses. */
    public InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream) {
        this(kernel, stream, TensorMemory.host());
    }

    /** O allocated in {@code memory}, the memory the partitioned model keeps its tensors in. */
    public InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream, TensorMemory memory) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.stream = stream;
        this.memory = Objects.requireNonNull(memory, "memory");
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
        kernel.unsupportedReason(shape).ifPresent(reason -> {
            throw new UnsupportedAttentionException(kernel.name(), shape, reason);
        });
        OrtTensor out = memory.allocate(q.elemType(), q.shape());
        try {
            long start = System.nanoTime();
            kernel.enqueue(shape, node.scale().orElse(shape.defaultScale()), q.address(), k.address(), v.address(),
                    out.address(), stream);
            sink.accept(new HostAttentionStep.Call(node, shape, System.nanoTime() - start));
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }
}
