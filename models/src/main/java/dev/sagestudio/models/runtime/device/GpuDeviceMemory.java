package dev.sagestudio.models.runtime.device;

import dev.sagestudio.models.runtime.DeviceMemory;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.attention.gpu.GpuContext;
import java.util.Objects;

/**
 * {@link DeviceMemory} in a {@link GpuContext} (the device's primary context, which ONNX Runtime's CUDA
 * EP uses too). Copies are ordered against {@code stream}, the stream ONNX Runtime and our kernels
 * share: a copy in waits for the whole context before returning (so no later work on a non-blocking
 * stream can overtake it), a copy out waits for the stream first.
 */
public final class GpuDeviceMemory implements DeviceMemory {
    private final GpuContext context;
    private final CudaStream stream;

    public GpuDeviceMemory(GpuContext context, CudaStream stream) {
        this.context = Objects.requireNonNull(context, "context");
        this.stream = Objects.requireNonNull(stream, "stream");
    }

    @Override
    public String describe() {
        return "CUDA device " + context.device().ordinal() + " (" + context.device().name() + ")";
    }

    @Override
    public Allocation allocate(long bytes) {
        if (bytes >= DeviceMemoryCheck.CHECKED_FROM_BYTES) {
            GpuContext.MemoryInfo info = context.memoryInfo();
            DeviceMemoryCheck.require(bytes, info.freeBytes(), info.totalBytes(), describe());
        }
        DeviceBuffer buffer = context.allocate(bytes); // cuMemAlloc: 256-byte aligned
        return new Allocation() {
            @Override
            public long address() {
                return buffer.address();
            }

            @Override
            public long bytes() {
                return buffer.bytes();
            }

            @Override
            public void close() {
                buffer.close();
            }
        };
    }

    @Override
    public void copyIn(long address, byte[] source) {
        try (DeviceBuffer target = context.borrow(address, source.length)) {
            target.copyFromHost(source);
        }
        // cuMemcpyHtoD from pageable memory may return before the DMA lands; our stream is non-blocking,
        // so it would not wait for it.
        context.synchronize();
    }

    @Override
    public void copyOut(long address, byte[] target) {
        stream.synchronize();
        try (DeviceBuffer source = context.borrow(address, target.length)) {
            source.copyToHost(target);
        }
    }
}
