package dev.sagestudio.models.runtime.device;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** A device allocation that cuMemGetInfo says cannot fit is refused with the sizes, before cuMemAlloc. */
class DeviceMemoryCheckTest {

    static final long MIB = 1L << 20;

    @Test
    void anAllocationLargerThanTheFreeMemoryIsRefusedWithTheSizes() {
        var e = assertThrows(DeviceMemoryCheck.DeviceMemoryException.class,
                () -> DeviceMemoryCheck.require(3000 * MIB, 1024 * MIB, 81559 * MIB, "CUDA device 0 (NVIDIA H100)"));
        assertEquals("out of device memory: 3000.0 MiB needed, 1024.0 MiB free of 81559.0 MiB on CUDA device 0"
                + " (NVIDIA H100); close other GPU programs, choose a smaller model or run on the CPU", e.getMessage());
    }

    @Test
    void aFittingOrSmallAllocationPasses() {
        assertDoesNotThrow(() -> DeviceMemoryCheck.require(512 * MIB, 1024 * MIB, 2048 * MIB, "d"));
        assertDoesNotThrow(() -> DeviceMemoryCheck.require(MIB, 0, 2048 * MIB, "d"), "below the checked size");
    }
}
