package dev.sagestudio.models.runtime.device;

import java.util.Locale;

/**
 * Refuses a device allocation that {@code cuMemGetInfo} says cannot fit, with the sizes in the message, instead of
 * letting it fail as a bare CUDA_ERROR_OUT_OF_MEMORY (or succeed and starve ONNX Runtime's next allocation). Small
 * allocations are not checked: asking the driver costs more than they can matter, and the driver's own error still
 * names them.
 */
final class DeviceMemoryCheck {

    /** Allocations from this size on are checked against the free device memory. */
    static final long CHECKED_FROM_BYTES = 16L << 20;

    private DeviceMemoryCheck() {
    }

    /** Throws {@link DeviceMemoryException} if {@code bytes} is checked and more than {@code freeBytes}. */
    static void require(long bytes, long freeBytes, long totalBytes, String device) {
        if (bytes >= CHECKED_FROM_BYTES && bytes > freeBytes) {
            throw new DeviceMemoryException(String.format(Locale.ROOT, "out of device memory: %.1f MiB needed,"
                    + " %.1f MiB free of %.1f MiB on %s; close other GPU programs, choose a smaller model or run on"
                    + " the CPU", bytes / 1048576.0, freeBytes / 1048576.0, totalBytes / 1048576.0, device));
        }
    }

    /** Not enough device memory for an allocation; the message has the sizes. */
    static final class DeviceMemoryException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        DeviceMemoryException(String message) {
            super(message);
        }
    }
}
