package dev.sagestudio.attention.gpu;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import java.nio.charset.StandardCharsets;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/** The driver calls {@link GpuStatus#probe()} makes, behind an interface so tests can pose as broken drivers. */
interface DriverProbe {
    /** Loads the driver binding; throws {@link LinkageError} if the driver library is missing. */
    void load();

    int driverVersion();

    /** {@code cuInit(0)}'s raw result. */
    int init();

    int deviceCount();

    DeviceInfo describe(int ordinal);

    static DriverProbe jcuda() {
        return new DriverProbe() {
            @Override
            public void load() {
                Cuda.init();
            }

            @Override
            public int driverVersion() {
                int[] version = new int[1];
                Cuda.check(JCudaDriver.cuDriverGetVersion(version), "cuDriverGetVersion");
                return version[0];
            }

            @Override
            public int init() {
                return JCudaDriver.cuInit(0);
            }

            @Override
            public int deviceCount() {
                int[] count = new int[1];
                Cuda.check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
                return count[0];
            }

            @Override
            public DeviceInfo describe(int ordinal) {
                return describeDevice(ordinal, driverVersion());
            }
        };
    }

    static DeviceInfo describeDevice(int ordinal, int driverVersion) {
        CUdevice device = new CUdevice();
        Cuda.check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] name = new byte[256];
        Cuda.check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName(" + ordinal + ")");
        int end = 0;
        while (end < name.length && name[end] != 0) {
            end++;
        }
        long[] memory = new long[1];
        Cuda.check(JCudaDriver.cuDeviceTotalMem(memory, device), "cuDeviceTotalMem(" + ordinal + ")");
        return new DeviceInfo(ordinal, new String(name, 0, end, StandardCharsets.UTF_8),
                attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "COMPUTE_CAPABILITY_MAJOR"),
                attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "COMPUTE_CAPABILITY_MINOR"),
                memory[0],
                attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "MULTIPROCESSOR_COUNT"),
                driverVersion);
    }

    static int attribute(CUdevice device, int attribute, String label) {
        int[] value = new int[1];
        Cuda.check(JCudaDriver.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + label + ")");
        return value[0];
    }
}
