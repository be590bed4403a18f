package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Gate for GPU tests: without a usable GPU (or without kernels in this build) they are skipped with the
 * reason printed. With {@code -Dsagestudio.gpu.required=true} (the GPU bundle's run script sets it) a
 * missing GPU or kernels is a failure instead, so a broken GPU run cannot pass as all-skipped.
 */
final class GpuTestSupport {
    static final boolean REQUIRED = Boolean.getBoolean("sagestudio.gpu.required");

    private GpuTestSupport() {}

    static GpuContext contextOrSkip() {
        GpuStatus status = GpuStatus.probe();
        skipOrFail(status.available(), status.message());
        return GpuContext.open();
    }

    static GpuBackends backendsOrSkip() {
        GpuStatus status = GpuStatus.probe();
        skipOrFail(status.available(), status.message());
        skipOrFail(KernelModule.isBundled(), KernelModule.NO_KERNELS);
        return GpuBackends.open();
    }

    /** Skips (never fails: other GPUs are not broken) unless {@code gpu} is a compute capability 9.0 (Hopper) GPU. */
    static void assumeHopper(GpuBackends gpu) {
        DeviceInfo device = gpu.context().device();
        assumeTrue(device.smArchitecture() == 90, "not a compute capability 9.0 GPU: " + device.describe());
    }

    private static void skipOrFail(boolean ok, String reason) {
        if (ok) {
            return;
        }
        if (REQUIRED) {
            fail("GPU tests are required (sagestudio.gpu.required=true) but cannot run: " + reason);
        }
        System.out.println("SKIPPING GPU tests: " + reason);
        assumeTrue(false, reason);
    }
}
