package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The no-GPU paths: each way a driver can be missing or unfit gives a message a user can act on. */
class GpuStatusTest {

    /** A driver that answers as told. */
    private record FakeDriver(Runnable loader, int version, int initResult, int devices) implements DriverProbe {
        @Override
        public void load() {
            loader.run();
        }

        @Override
        public int driverVersion() {
            return version;
        }

        @Override
        public int init() {
            return initResult;
        }

        @Override
        public int deviceCount() {
            return devices;
        }

        @Override
        public DeviceInfo describe(int ordinal) {
            return new DeviceInfo(ordinal, "Fake GPU", 9, 0, 80L << 30, 132, version);
        }
    }

    private static final Runnable LOADS = () -> { };

    @Test
    void aMissingDriverLibraryIsReportedNotThrown() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(() -> {
            throw new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file: No such file or directory");
        }, 0, 0, 0));
        assertFalse(status.available());
        assertTrue(status.message().startsWith("No NVIDIA driver was found"), status.message());
        assertTrue(status.message().contains("libcuda.so.1"), status.message());
        assertTrue(status.message().contains("CPU backends"), status.message());
        assertTrue(status.devices().isEmpty());
    }

    @Test
    void jcudasLongLoadErrorIsBoiledDownToTheMissingLibrary() {
        UnsatisfiedLinkError jcudaStyle = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver\"\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open"
                + " shared object file: No such file or directory\n\tat somewhere");
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory",
                GpuStatus.linkProblem(jcudaStyle));
    }

    @Test
    void aDriverLackingCuda12FunctionsIsCalledTooOld() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(() -> {
            throw new UnsatisfiedLinkError("/tmp/libJCudaDriver.so: undefined symbol: cuGraphInstantiateWithParams");
        }, 0, 0, 0));
        assertFalse(status.available());
        assertTrue(status.message().startsWith("The NVIDIA driver is too old"), status.message());
    }

    @Test
    void aDriverOlderThanCuda12IsRefusedWithItsVersion() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(LOADS, 11080, 0, 1));
        assertFalse(status.available());
        assertTrue(status.message().contains("supports CUDA 11.8"), status.message());
        assertTrue(status.message().contains("need CUDA 12.0 or newer"), status.message());
        assertEquals(11080, status.driverVersion());
    }

    @Test
    void noDeviceIsReportedByName() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(LOADS, 12060, 100, 0));
        assertFalse(status.available());
        assertTrue(status.message().contains("found no CUDA device"), status.message());
        assertTrue(status.message().contains("CUDA_ERROR_NO_DEVICE"), status.message());
    }

    @Test
    void otherInitFailuresNameTheResult() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(LOADS, 12060, 999, 0));
        assertFalse(status.available());
        assertTrue(status.message().contains("cuInit failed with CUDA_ERROR_UNKNOWN"), status.message());
    }

    @Test
    void zeroDevicesIsUnavailable() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(LOADS, 12060, 0, 0));
        assertFalse(status.available());
        assertTrue(status.message().contains("reports no CUDA device"), status.message());
    }

    @Test
    void aWorkingDriverListsItsDevices() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(LOADS, 13000, 0, 2));
        assertTrue(status.available(), status.message());
        assertEquals(2, status.devices().size());
        assertTrue(status.message().contains("Fake GPU") && status.message().contains("13.0"), status.message());
        status.requireAvailable();
    }

    @Test
    void requireAvailableThrowsTheMessage() {
        GpuStatus status = GpuStatus.probe(new FakeDriver(LOADS, 11000, 0, 1));
        GpuUnavailableException e = assertThrows(GpuUnavailableException.class, status::requireAvailable);
        assertEquals(status.message(), e.getMessage());
    }

    @Test
    void theRealProbeNeverThrowsAndExplainsItself() {
        GpuStatus status = GpuStatus.probe();
        System.out.println("GPU status on this machine: " + status.message());
        assertFalse(status.message().isBlank());
        assertEquals(status.available(), !status.devices().isEmpty());
        if (!status.available()) {
            GpuUnavailableException e = assertThrows(GpuUnavailableException.class, GpuContext::open);
            assertTrue(e.getMessage().contains("CPU backends"), e.getMessage());
        }
    }

    @Test
    void cudaVersionsAreFormattedAsMajorDotMinor() {
        assertEquals("12.4", GpuStatus.formatCudaVersion(12040));
        assertEquals("13.0", GpuStatus.formatCudaVersion(13000));
    }
}
