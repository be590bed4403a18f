package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.gpu.CudaException;
import jcuda.driver.CUresult;

/**
 * {@code inner}, except that the allocation numbered {@link #failAt} (from 0, counted since {@link #restartCount})
 * throws as {@code cuMemAlloc} does on a full device: a fault injected through the production seam {@link DeviceMemory}.
 */
public final class FailingAllocations implements DeviceMemory {
    private final DeviceMemory inner;
    private volatile int failAt = -1;
    private int allocations;

    public FailingAllocations(DeviceMemory inner) {
        this.inner = inner;
    }

    /** Fails allocation {@code index} of the count; -1 fails none. */
    public void failAt(int index) {
        failAt = index;
    }

    /** Counts allocations from 0 again. */
    public void restartCount() {
        allocations = 0;
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public Allocation allocate(long bytes) {
        if (allocations++ == failAt) {
            throw new CudaException("cuMemAlloc(" + bytes + " bytes)", CUresult.CUDA_ERROR_OUT_OF_MEMORY);
        }
        return inner.allocate(bytes);
    }

    @Override
    public void copyIn(long address, byte[] source) {
        inner.copyIn(address, source);
    }

    @Override
    public void copyOut(long address, byte[] target) {
        inner.copyOut(address, target);
    }
}
