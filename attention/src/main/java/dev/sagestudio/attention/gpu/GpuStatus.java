package dev.sagestudio.attention.gpu;

import java.util.List;
import java.util.Objects;

/**
 * Whether the GPU backends can run on this machine, and if not, why in words a user can act on.
 * {@link #probe()} never throws: a missing driver, no device or an old driver are answers, not crashes.
 *
 * @param available     true if at least one CUDA device with a new-enough driver was found
 * @param message       a summary when available; the reason and what to do when not
 * @param driverVersion the driver's CUDA version ({@code 12040} for 12.4), or 0 if no driver was found
 * @param devices       the devices found (empty when unavailable)
 */
public record GpuStatus(boolean available, String message, int driverVersion, List<DeviceInfo> devices) {

    /** CUDA 12.0: what JCuda 12.6 and our kernels need at least. */
    public static final int MIN_DRIVER_VERSION = 12000;

    static final String CPU_STILL_WORKS = " The CPU backends (cpu-reference, cpu-sage) still work.";

    public GpuStatus {
        Objects.requireNonNull(message, "message");
        devices = List.copyOf(devices);
    }

    /** Probes the real driver once per process; later calls return the same answer. */
    public static GpuStatus probe() {
        return Holder.STATUS;
    }

    private static final class Holder {
        static final GpuStatus STATUS = probe(DriverProbe.jcuda());
    }

    /** Probes through {@code driver}; package-private so tests can pose as drivers that fail in each way. */
    static GpuStatus probe(DriverProbe driver) {
        try {
            driver.load();
        } catch (LinkageError e) {
            String problem = linkProblem(e);
            if (problem.contains("undefined symbol")) {
                return unavailable(0, "The NVIDIA driver is too old for JCuda 12.6 (" + problem + "). Update the"
                        + " NVIDIA driver to one for CUDA 12.0 or newer (525 or later).");
            }
            return unavailable(0, "No NVIDIA driver was found: the CUDA driver library could not be loaded ("
                    + problem + "). Install the NVIDIA driver for CUDA 12.0 or newer to use the GPU backends.");
        }
        try {
            int version = driver.driverVersion();
            if (version < MIN_DRIVER_VERSION) {
                return unavailable(version, "The NVIDIA driver supports CUDA " + formatCudaVersion(version)
                        + ", but the GPU backends need CUDA " + formatCudaVersion(MIN_DRIVER_VERSION)
                        + " or newer (driver 525 or later). Update the NVIDIA driver.");
            }
            int init = driver.init();
            if (init != 0) {
                String name = CudaException.resultName(init);
                if ("CUDA_ERROR_NO_DEVICE".equals(name)) {
                    return unavailable(version, "The NVIDIA driver (CUDA " + formatCudaVersion(version)
                            + ") found no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE). Check that a GPU is present and"
                            + " visible to this process (CUDA_VISIBLE_DEVICES).");
                }
                return unavailable(version, "The NVIDIA driver could not start: cuInit failed with " + name + " ("
                        + init + ").");
            }
            int count = driver.deviceCount();
            if (count <= 0) {
                return unavailable(version, "The NVIDIA driver (CUDA " + formatCudaVersion(version)
                        + ") reports no CUDA device.");
            }
            List<DeviceInfo> devices = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                devices.add(driver.describe(i));
            }
            return new GpuStatus(true, devices.size() + " CUDA device(s), driver CUDA " + formatCudaVersion(version)
                    + ": " + devices.get(0).describe(), version, devices);
        } catch (CudaException e) {
            return unavailable(0, "The NVIDIA driver failed while listing devices: " + e.getMessage() + ".");
        } catch (LinkageError e) {
            // JCuda 12.6 binds driver functions that an old driver may lack.
            return unavailable(0, "The NVIDIA driver is missing functions JCuda 12.6 needs (" + firstLine(e)
                    + "); it is probably older than CUDA 12. Update the NVIDIA driver.");
        }
    }

    private static GpuStatus unavailable(int version, String reason) {
        return new GpuStatus(false, reason + CPU_STILL_WORKS, version, List.of());
    }

    /** Throws {@link GpuUnavailableException} with {@link #message()} unless the GPU is available. */
    public void requireAvailable() {
        if (!available) {
            throw new GpuUnavailableException(message);
        }
    }

    /** {@code 12040} → {@code 12.4}. */
    public static String formatCudaVersion(int version) {
        return (version / 1000) + "." + (version % 1000) / 10;
    }

    /** The telling line of JCuda's long native-library error, e.g. {@code libcuda.so.1: cannot open shared ...}. */
    static String linkProblem(Throwable e) {
        for (String line : String.valueOf(e.getMessage()).split("\n")) {
            int at = line.indexOf("cannot open shared object file");
            if (at < 0) {
                at = line.indexOf("undefined symbol");
            }
            if (at >= 0) {
                int start = line.lastIndexOf(": ", Math.max(0, at - 3));
                return line.substring(start >= 0 ? start + 2 : 0).trim();
            }
        }
        return firstLine(e);
    }

    private static String firstLine(Throwable e) {
        String text = String.valueOf(e.getMessage());
        int newline = text.indexOf('\n');
        text = newline >= 0 ? text.substring(0, newline) : text;
        return e.getClass().getSimpleName() + ": " + (text.length() > 300 ? text.substring(0, 300) + "…" : text);
    }
}
