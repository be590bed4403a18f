package dev.sagestudio.models.runtime.device;

import dev.sagestudio.models.runtime.DeviceAttentionKernel;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.attention.gpu.DeviceTensor;
import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuContext;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link DeviceAttentionKernel} over one of our CUDA kernels ({@link GpuAttentionBackend}'s device API):
 * Q, K and V are borrowed where ONNX Runtime left them, O is written into the buffer the runner
 * allocated, all on the stream ONNX Runtime computes on. Nothing is copied and nothing waits.
 */
public final class GpuDeviceKernel implements DeviceAttentionKernel {
    private final GpuAttentionBackend backend;

    public GpuDeviceKernel(GpuAttentionBackend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public Optional<String> unsupportedReason(AttentionShape shape) {
        return backend.unsupportedReason(shape);
    }

    @Override
    public void enqueue(AttentionShape s, double softmaxScale, long q, long k, long v, long o, long stream) {
        GpuContext context = backend.context();
        long qBytes = bytes(s, s.qHeads(), s.qLen());
        long kvBytes = bytes(s, s.kvHeads(), s.kvLen());
        try (DeviceBuffer bq = context.borrow(q, qBytes);
             DeviceBuffer bk = context.borrow(k, kvBytes);
             DeviceBuffer bv = context.borrow(v, kvBytes);
             DeviceBuffer bo = context.borrow(o, qBytes);
             CudaStream onto = context.borrowStream(stream)) {
            backend.attend(tensor(bq, s, s.qHeads(), s.qLen()), tensor(bk, s, s.kvHeads(), s.kvLen()),
                    tensor(bv, s, s.kvHeads(), s.kvLen()), tensor(bo, s, s.qHeads(), s.qLen()), s.causal(),
                    softmaxScale, onto);
        }
    }

    private static long bytes(AttentionShape s, int heads, int tokens) {
        return (long) s.batch() * heads * tokens * s.headDim() * s.dtype().bytes();
    }

    private static DeviceTensor tensor(DeviceBuffer buffer, AttentionShape s, int heads, int tokens) {
        return new DeviceTensor(buffer, s.dtype(), s.layout(), s.batch(), heads, tokens, s.headDim());
    }
}
