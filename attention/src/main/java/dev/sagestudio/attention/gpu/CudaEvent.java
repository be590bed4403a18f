package dev.sagestudio.attention.gpu;

import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/** A CUDA event for timing work on a stream; {@link #close()} destroys it and is safe to call twice. */
public final class CudaEvent implements AutoCloseable {
    private final GpuContext context;
    private final CUevent handle = new CUevent();
    private final AtomicBoolean closed = new AtomicBoolean();

    CudaEvent(GpuContext context) {
        this.context = context;
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuEventCreate(handle, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
    }

    /** Records this event on {@code stream}: it completes when the work queued before it does. */
    public void record(CudaStream stream) {
        requireOpen();
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuEventRecord(handle, stream.handle()), "cuEventRecord");
    }

    public void synchronize() {
        requireOpen();
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /** Milliseconds of GPU time from {@code start} to this event; waits for this event first. */
    public float elapsedMillisSince(CudaEvent start) {
        requireOpen();
        start.requireOpen();
        synchronize();
        float[] millis = new float[1];
        Cuda.check(JCudaDriver.cuEventElapsedTime(millis, start.handle, handle), "cuEventElapsedTime");
        return millis[0];
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("CUDA event is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.makeCurrent();
            Cuda.check(JCudaDriver.cuEventDestroy(handle), "cuEventDestroy");
        }
    }
}
