package dev.sagestudio.attention.gpu;

import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Device memory with explicit ownership. A buffer from {@link GpuContext#allocate} owns its memory and
 * frees it on {@link #close()}; a buffer from {@link GpuContext#borrow} or {@link #slice} only points at
 * memory someone else owns (ONNX Runtime, or a parent buffer) and frees nothing. Closing twice is safe;
 * using a closed buffer throws.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final GpuContext context;
    private final CUdeviceptr pointer;
    private final long address;
    private final long bytes;
    private final DeviceBuffer parent;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DeviceBuffer(GpuContext context, CUdeviceptr pointer, long address, long bytes, DeviceBuffer parent,
                         boolean owned) {
        this.context = context;
        this.pointer = pointer;
        this.address = address;
        this.bytes = bytes;
        this.parent = parent;
        this.owned = owned;
    }

    static DeviceBuffer allocate(GpuContext context, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("a device buffer needs a positive size, got " + bytes + " bytes");
        }
        context.makeCurrent();
        Handles.DevicePointer pointer = new Handles.DevicePointer();
        Cuda.check(JCudaDriver.cuMemAlloc(pointer, bytes), "cuMemAlloc(" + bytes + " bytes)");
        context.allocationOpened(bytes);
        return new DeviceBuffer(context, pointer, pointer.address(), bytes, null, true);
    }

    static DeviceBuffer borrow(GpuContext context, long address, long bytes) {
        if (address == 0) {
            throw new IllegalArgumentException("cannot borrow a null device pointer");
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException("a borrowed device buffer needs a positive size, got " + bytes);
        }
        return new DeviceBuffer(context, Handles.pointerAt(address), address, bytes, null, false);
    }

    /** A view of {@code length} bytes starting {@code offset} bytes in; it owns nothing. */
    public DeviceBuffer slice(long offset, long length) {
        requireOpen();
        if (offset < 0 || length <= 0 || offset + length > bytes) {
            throw new IllegalArgumentException("slice [" + offset + ", " + (offset + length) + ") is outside the "
                    + bytes + "-byte buffer");
        }
        return new DeviceBuffer(context, pointer.withByteOffset(offset), address + offset, length, this, false);
    }

    /** The raw device address, e.g. to bind it in ONNX Runtime. */
    public long address() {
        requireOpen();
        return address;
    }

    public long bytes() {
        return bytes;
    }

    /** True if {@link #close()} frees the memory. */
    public boolean isOwner() {
        return owned;
    }

    public boolean isClosed() {
        return closed.get() || (parent != null && parent.isClosed());
    }

    public GpuContext context() {
        return context;
    }

    CUdeviceptr pointer() {
        requireOpen();
        return pointer;
    }

    // ---- host transfers (synchronous: they return once the data has arrived) ----

    public void copyFromHost(byte[] source) {
        copyIn(Pointer.to(source), source.length, "byte[]");
    }

    public void copyFromHost(short[] source) {
        copyIn(Pointer.to(source), 2L * source.length, "short[]");
    }

    public void copyFromHost(float[] source) {
        copyIn(Pointer.to(source), 4L * source.length, "float[]");
    }

    public void copyToHost(byte[] target) {
        copyOut(Pointer.to(target), target.length, "byte[]");
    }

    public void copyToHost(short[] target) {
        copyOut(Pointer.to(target), 2L * target.length, "short[]");
    }

    public void copyToHost(float[] target) {
        copyOut(Pointer.to(target), 4L * target.length, "float[]");
    }

    /** Copies {@code length} bytes from {@code source} (starting at {@code sourceOffset}) to this buffer's start. */
    public void copyFrom(DeviceBuffer source, long sourceOffset, long length, CudaStream stream) {
        requireOpen();
        if (sourceOffset < 0 || length <= 0 || sourceOffset + length > source.bytes() || length > bytes) {
            throw new IllegalArgumentException("device copy of " + length + " bytes at offset " + sourceOffset
                    + " does not fit (source " + source.bytes() + " bytes, target " + bytes + " bytes)");
        }
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyDtoDAsync(pointer, source.pointer().withByteOffset(sourceOffset), length,
                stream.handle()), "cuMemcpyDtoDAsync(" + length + " bytes)");
    }

    private void copyIn(Pointer host, long length, String what) {
        requireOpen();
        requireFits(length, what);
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyHtoD(pointer, host, length), "cuMemcpyHtoD(" + length + " bytes)");
    }

    private void copyOut(Pointer host, long length, String what) {
        requireOpen();
        requireFits(length, what);
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyDtoH(host, pointer, length), "cuMemcpyDtoH(" + length + " bytes)");
    }

    private void requireFits(long length, String what) {
        if (length > bytes) {
            throw new IllegalArgumentException("a " + what + " of " + length + " bytes does not fit the " + bytes
                    + "-byte device buffer");
        }
    }

    // ---- fills (queued on a stream) ----

    /** Sets every byte to {@code value}. */
    public void fillBytes(byte value, CudaStream stream) {
        requireOpen();
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemsetD8Async(pointer, value, bytes, stream.handle()),
                "cuMemsetD8Async(" + bytes + " bytes)");
    }

    /** Sets every 16-bit word to {@code value} (e.g. {@code 0x7e00}, an fp16 NaN); the size must be even. */
    public void fill16(short value, CudaStream stream) {
        requireOpen();
        if (bytes % 2 != 0) {
            throw new IllegalArgumentException("fill16 needs an even byte count, buffer has " + bytes);
        }
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemsetD16Async(pointer, value, bytes / 2, stream.handle()),
                "cuMemsetD16Async(" + bytes / 2 + " words)");
    }

    /** Sets every 32-bit word to {@code value} (e.g. {@code 0x7fc00000}, an fp32 NaN); size a multiple of 4. */
    public void fill32(int value, CudaStream stream) {
        requireOpen();
        if (bytes % 4 != 0) {
            throw new IllegalArgumentException("fill32 needs a byte count divisible by 4, buffer has " + bytes);
        }
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemsetD32Async(pointer, value, bytes / 4, stream.handle()),
                "cuMemsetD32Async(" + bytes / 4 + " words)");
    }

    void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("device buffer 0x" + Long.toHexString(address) + " (" + bytes
                    + " bytes) is already closed");
        }
        if (parent != null) {
            parent.requireOpen();
        }
    }

    /** Frees owned memory; does nothing the second time, or for borrowed buffers and slices. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            context.makeCurrent();
            Cuda.check(JCudaDriver.cuMemFree(pointer), "cuMemFree(" + bytes + " bytes)");
            context.allocationClosed(bytes);
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer(0x" + Long.toHexString(address) + ", " + bytes + " bytes, "
                + (owned ? "owned" : "borrowed") + (closed.get() ? ", closed" : "") + ")";
    }
}
