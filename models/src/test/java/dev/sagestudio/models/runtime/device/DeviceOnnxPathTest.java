package dev.sagestudio.models.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DeviceOnnxPathTest {

    @Test
    void onlyGpuBackendsRunOnTheDevicePath() {
        assertEquals(GpuAttentionBackend.Variant.SAGE_INT8_FP16, DeviceOnnxPath.variant("sage-int8-fp16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceOnnxPath.variant("cpu-reference"));
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
