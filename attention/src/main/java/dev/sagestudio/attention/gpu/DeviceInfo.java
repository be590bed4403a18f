package dev.sagestudio.attention.gpu;

import java.util.Locale;

/**
 * What the driver reports about one CUDA device.
 *
 * @param ordinal          the device's index, as {@code cuDeviceGet} takes it
 * @param name             the marketing name, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param major            compute capability, major part (9 for Hopper)
 * @param minor            compute capability, minor part
 * @param totalMemoryBytes global memory
 * @param multiprocessors  number of SMs
 * @param driverVersion    the driver's CUDA version as {@code cuDriverGetVersion} reports it (e.g. 13000)
 */
public record DeviceInfo(int ordinal, String name, int major, int minor, long totalMemoryBytes, int multiprocessors,
                         int driverVersion) {

    /** Compute capability as text, e.g. {@code 9.0}. */
    public String computeCapability() {
        return major + "." + minor;
    }

    /** The SM architecture number, e.g. 90 for compute capability 9.0. */
    public int smArchitecture() {
        return major * 10 + minor;
    }

    /**
     * Whether FP8 {@code mma.sync} runs natively: sm_89 (Ada) and sm_12x (Blackwell consumer). On sm_90
     * the instruction is emulated (FP8 is converted to FP16 before HMMA), and Hopper's fast FP8 path is
     * {@code wgmma}, which the {@code sage-int8-fp8} kernel does not use.
     */
    public boolean hasNativeFp8MmaSync() {
        return smArchitecture() == 89 || major == 12;
    }

    /** One line for logs and reports. */
    public String describe() {
        return String.format(Locale.ROOT, "GPU %d: %s, compute capability %s, %d SMs, %.1f GiB, driver CUDA %s",
                ordinal, name, computeCapability(), multiprocessors, totalMemoryBytes / (double) (1L << 30),
                GpuStatus.formatCudaVersion(driverVersion));
    }
}
