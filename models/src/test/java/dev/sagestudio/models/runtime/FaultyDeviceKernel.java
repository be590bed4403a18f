package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.gpu.CudaException;
import java.util.Optional;
import jcuda.driver.CUresult;

/**
 * A kernel with faults at chosen calls (numbered from 0 since {@link #restartCount}): a launch that fails as
 * {@code cuLaunchKernel} does, or an output into which NaN is written after the kernel. Faults injected through the
 * production seam {@link DeviceAttentionKernel}; subclasses say where and how the NaN is written.
 */
public abstract class FaultyDeviceKernel implements DeviceAttentionKernel {
    private final String name;
    private final DeviceAttentionKernel inner;
    private int calls;

    protected FaultyDeviceKernel(String name, DeviceAttentionKernel inner) {
        this.name = name;
        this.inner = inner;
    }

    /** Whether call {@code call} fails to launch. */
    protected abstract boolean failsLaunch(int call);

    /** Whether call {@code call}'s output gets a NaN. */
    protected abstract boolean poisons(int call);

    /** Writes NaN into the output at {@code o} after the kernel, in stream order. */
    protected abstract void writeNaN(long o, long stream);

    /** Calls since the last {@link #restartCount}. */
    public int calls() {
        return calls;
    }

    public void restartCount() {
        calls = 0;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<String> unsupportedReason(AttentionShape shape) {
        return inner.unsupportedReason(shape);
    }

    @Override
    public void enqueue(AttentionShape shape, double scale, long q, long k, long v, long o, long stream) {
        int call = calls++;
        if (failsLaunch(call)) {
            throw new CudaException("cuLaunchKernel(" + name + ")", CUresult.CUDA_ERROR_LAUNCH_FAILED);
        }
        inner.enqueue(shape, scale, q, k, v, o, stream);
        if (poisons(call)) {
            writeNaN(o, stream);
        }
    }
}
