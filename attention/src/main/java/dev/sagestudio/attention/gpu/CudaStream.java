package dev.sagestudio.attention.gpu;

import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA stream in a {@link GpuContext}. Streams we create are destroyed by {@link #close()} (safe to call
 * twice); streams borrowed from elsewhere (ONNX Runtime) are only used, never destroyed.
 */
public final class CudaStream implements AutoCloseable {
    private final GpuContext context;
    private final CUstream handle;
    private final long address;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaStream(GpuContext context, CUstream handle, long address, boolean owned) {
        this.context = context;
        this.handle = handle;
        this.address = address;
        this.owned = owned;
    }

    static CudaStream create(GpuContext context) {
        Handles.Stream stream = new Handles.Stream();
        // Non-blocking: our work must not serialize against the legacy default stream other libraries use.
        Cuda.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        return new CudaStream(context, stream, stream.address(), true);
    }

    static CudaStream borrow(GpuContext context, long rawHandle) {
        return new CudaStream(context, rawHandle == 0 ? null : Handles.streamAt(rawHandle), rawHandle, false);
    }

    /** The raw {@code CUstream} (a {@code cudaStream_t}), e.g. for ONNX Runtime's {@code user_compute_stream}. */
    public long rawHandle() {
        requireOpen();
        return address;
    }

    /** True if {@link #close()} destroys the stream; false for borrowed streams. */
    public boolean isOwner() {
        return owned;
    }

    public GpuContext context() {
        return context;
    }

    /** Waits until all work queued on this stream has finished. */
    public void synchronize() {
        requireOpen();
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    /**
     * Queues a copy of {@code bytes} from device address {@code source} to device address {@code target} (memory of
     * this context, e.g. ONNX Runtime's tensors); returns at once.
     */
    public void copyDeviceToDevice(long target, long source, long bytes) {
        requireOpen();
        if (target == 0 || source == 0 || bytes <= 0) {
            throw new IllegalArgumentException("device copy of " + bytes + " bytes from 0x" + Long.toHexString(source)
                    + " to 0x" + Long.toHexString(target));
        }
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuMemcpyDtoDAsync(Handles.pointerAt(target), Handles.pointerAt(source), bytes, handle),
                "cuMemcpyDtoDAsync(" + bytes + " bytes)");
    }

    CUstream handle() {
        requireOpen();
        return handle;
    }

    void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("CUDA stream 0x" + Long.toHexString(address) + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            context.makeCurrent();
            Cuda.check(JCudaDriver.cuStreamDestroy(handle), "cuStreamDestroy");
        }
    }
}
