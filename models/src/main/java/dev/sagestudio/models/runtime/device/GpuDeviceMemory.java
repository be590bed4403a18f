package dev.sagestudio.models.runtime.device;

import dev.sagestudio.models.runtime.DeviceMemory;
import dev.sagestudio.attention.gpu.CudaException;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.attention.gpu.GpuContext;
import java.util.List;
import java.util.Objects;

/**
 * {@link DeviceMemory} in a {@link GpuContext} (the device's primary context, which ONNX Runtime's CUDA
 * EP uses too). Copies are ordered against {@code stream}, the stream ONNX Runtime and our kernels
 * share: a copy in waits for the whole context before returning (so no later work on a non-blocking
 * stream can overtake it), a copy out waits for the stream first.
 *
 * <p>Allocations closed by their holders are kept ({@link IdleBlocks}) and handed out again for the same size, since
 * every step asks for the same attention outputs; when the device is full they are freed and the allocation tried
 * again. {@link #close()} frees them.
 */
public final class GpuDeviceMemory implements DeviceMemory, AutoCloseable {
    private final GpuContext context;
    private final CudaStream stream;
    private final IdleBlocks<DeviceBuffer> idle = new IdleBlocks<>();
    /**
     * While holding ({@link #startHolding}): buffers closed meanwhile, kept out of circulation but handed out again to
     * allocations made while holding (the recorded work runs in stream order, as the unrecorded work does).
     */
    private IdleBlocks<DeviceBuffer> held;

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
        DeviceBuffer reused = held != null ? held.take(bytes) : null;
        if (reused == null) {
            reused = idle.take(bytes);
        }
        DeviceBuffer buffer = reused != null ? reused : fresh(bytes);
        return new Allocation() {
            private boolean closed;

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
                if (closed) {
                    return;
                }
                closed = true;
                if (held != null) {
                    held.giveBack(bytes, buffer);
                } else if (!idle.giveBack(bytes, buffer)) {
                    buffer.close();
                }
            }
        };
    }

    /** A new buffer; if the device has no room, the idle blocks are freed first and it is tried once more. */
    private DeviceBuffer fresh(long bytes) {
        try {
            return checkedAllocation(bytes);
        } catch (DeviceMemoryCheck.DeviceMemoryException | CudaException e) {
            if (e instanceof CudaException cuda && !cuda.isOutOfMemory()) {
                throw e;
            }
            List<DeviceBuffer> kept = idle.drain();
            if (kept.isEmpty()) {
                throw e;
            }
            stream.synchronize(); // their last readers may still be queued
            kept.forEach(DeviceBuffer::close);
            return checkedAllocation(bytes);
        }
    }

    private DeviceBuffer checkedAllocation(long bytes) {
        if (bytes >= DeviceMemoryCheck.CHECKED_FROM_BYTES) {
            GpuContext.MemoryInfo info = context.memoryInfo();
            DeviceMemoryCheck.require(bytes, info.freeBytes(), info.totalBytes(), describe());
        }
        return context.allocate(bytes); // cuMemAlloc: 256-byte aligned
    }

    /**
     * From now on, allocations closed by their holders are kept aside instead of being handed out again, except to
     * allocations made before {@link #stopHolding}: a CUDA graph recorded meanwhile writes to them on every launch, so
     * nothing else may get them.
     */
    public void startHolding() {
        if (held != null) {
            throw new IllegalStateException("already holding closed allocations");
        }
        held = new IdleBlocks<>();
    }

    /** Ends {@link #startHolding}: the buffers closed meanwhile, now the caller's (to {@link #giveBack} later). */
    public List<DeviceBuffer> stopHolding() {
        if (held == null) {
            throw new IllegalStateException("not holding closed allocations");
        }
        List<DeviceBuffer> taken = held.close();
        held = null;
        return taken;
    }

    /** Buffers taken by {@link #stopHolding}, back into circulation; the stream's work that uses them must be done. */
    public void giveBack(List<DeviceBuffer> buffers) {
        for (DeviceBuffer buffer : buffers) {
            if (!idle.giveBack(buffer.bytes(), buffer)) {
                buffer.close();
            }
        }
    }

    /** The closed allocations kept for reuse. */
    public int idleAllocations() {
        return idle.idleCount();
    }

    /** The bytes of closed allocations kept for reuse. */
    public long idleBytes() {
        return idle.idleBytes();
    }

    /** Frees the kept blocks, after the stream's work that may still read them; later closed allocations are freed. */
    @Override
    public void close() {
        List<DeviceBuffer> kept = idle.close();
        if (!kept.isEmpty()) {
            stream.synchronize();
            kept.forEach(DeviceBuffer::close);
        }
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
