package dev.sagestudio.models.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.models.runtime.DeviceMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The device path's memory keeps closed allocations for the next request of the same size, and frees them on close. */
@Tag("gpu")
class GpuDeviceMemoryGpuTest {

    private static GpuBackends openOrSkip() {
        try {
            return GpuBackends.open(0);
        } catch (GpuUnavailableException e) {
            if (Boolean.getBoolean("sagestudio.gpu.required")) {
                fail(e.getMessage());
            }
            System.out.println("SKIPPED " + GpuDeviceMemoryGpuTest.class.getSimpleName() + ": " + e.getMessage());
            Assumptions.abort(e.getMessage());
            throw new AssertionError("unreachable");
        }
    }

    @Test
    void aClosedAllocationIsReusedForTheSameSizeAndFreedWhenTheMemoryCloses() {
        try (GpuBackends gpu = openOrSkip(); CudaStream stream = gpu.context().createStream()) {
            long liveBefore = gpu.context().liveAllocations();
            GpuDeviceMemory memory = new GpuDeviceMemory(gpu.context(), stream);
            DeviceMemory.Allocation first = memory.allocate(1 << 20);
            long address = first.address();
            first.close();
            assertEquals(1 << 20, memory.idleBytes());
            DeviceMemory.Allocation again = memory.allocate(1 << 20);
            assertEquals(address, again.address(), "the same block, not a new cuMemAlloc");
            DeviceMemory.Allocation other = memory.allocate(3 << 20);
            assertNotEquals(address, other.address());
            assertEquals(liveBefore + 2, gpu.context().liveAllocations());
            again.close();
            memory.close();
            assertEquals(liveBefore + 1, gpu.context().liveAllocations(), "the kept block is freed on close");
            other.close();
            assertEquals(liveBefore, gpu.context().liveAllocations(), "closed after the memory: freed at once");
        }
    }

    @Test
    void blocksClosedWhileHoldingServeOnlyAllocationsMadeWhileHoldingUntilGivenBack() {
        try (GpuBackends gpu = openOrSkip(); CudaStream stream = gpu.context().createStream()) {
            GpuDeviceMemory memory = new GpuDeviceMemory(gpu.context(), stream);
            memory.startHolding();
            DeviceMemory.Allocation recorded = memory.allocate(1 << 20);
            long address = recorded.address();
            recorded.close();
            DeviceMemory.Allocation next = memory.allocate(1 << 20);
            assertEquals(address, next.address(), "while holding, a held block serves the next request of its size");
            next.close();
            java.util.List<dev.sagestudio.attention.gpu.DeviceBuffer> held = memory.stopHolding();
            assertEquals(1, held.size());
            assertEquals(0, memory.idleBytes(), "a held block is not idle");
            DeviceMemory.Allocation later = memory.allocate(1 << 20);
            assertNotEquals(address, later.address(), "after holding, nobody else gets the held block");
            later.close();
            memory.giveBack(held);
            assertEquals(2 << 20, memory.idleBytes(), "given back, it is idle again");
            memory.close();
        }
    }
}
