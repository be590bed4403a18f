package dev.sagestudio.attention.gpu;

/**
 * The GPU backends cannot run here: no NVIDIA driver, no CUDA device, a driver too old for CUDA 12,
 * or a build without kernels. The message says which and what to do; the CPU backends still work.
 */
public final class GpuUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GpuUnavailableException(String message) {
        super(message);
    }

    public GpuUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
