package dev.sagestudio.models.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DeviceOnnxPathTest {

    @Test
    void onlyGpuBackendsRunOnTheDevicePath() {
        // refused by name, before any GPU is touched
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceOnnxPath.open(0, "cpu-reference", 1));
        assertTrue(e.getMessage().contains("'cpu-reference' is not a GPU attention backend"), e.getMessage());
        assertTrue(e.getMessage().contains("flash-fp16"), e.getMessage());
    }

    @Test
    void withoutAGpuTheDevicePathSaysWhyItCannotStart() {
        GpuStatus status = GpuStatus.probe();
        Assumptions.assumeFalse(status.available(), "this machine has a GPU; DevicePathGpuTest covers it");
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class,
                () -> DeviceOnnxPath.open(0, "flash-fp16", 1));
        assertEquals(status.message(), e.getMessage());
    }
}
