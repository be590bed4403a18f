package dev.sagestudio.attention.gpu;

import jcuda.driver.CUresult;

/** A CUDA driver call returned an error; the message names the call and the {@code CUresult}. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int result;

    public CudaException(String call, int result) {
        super(call + " failed: " + resultName(result) + " (" + result + ")" + describe(result));
        this.call = call;
        this.result = result;
    }

    /** The driver call that failed, with what it was applied to, e.g. {@code cuMemAlloc(1073741824 bytes)}. */
    public String call() {
        return call;
    }

    /** The raw {@code CUresult} code. */
    public int result() {
        return result;
    }

    /** Whether the driver had too little free device memory for the call ({@code CUDA_ERROR_OUT_OF_MEMORY}). */
    public boolean isOutOfMemory() {
        return result == CUresult.CUDA_ERROR_OUT_OF_MEMORY;
    }

    /**
     * Whether the driver refused something while a stream was being captured into a CUDA graph
     * ({@code CUDA_ERROR_NOT_PERMITTED}, a {@code CUDA_ERROR_STREAM_CAPTURE_*} code or {@code CUDA_ERROR_CAPTURED_EVENT}):
     * the work cannot be recorded, though it may run uncaptured; not a fault of the device.
     */
    public boolean isRefusedByCapture() {
        return result == CUresult.CUDA_ERROR_NOT_PERMITTED
                || result >= CUresult.CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED
                        && result <= CUresult.CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
    }

    /** The {@code CUresult} name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String resultName() {
        return resultName(result);
    }

    static String resultName(int result) {
        return CUresult.stringFor(result);
    }

    private static String describe(int result) {
        String hint = switch (result) {
            case CUresult.CUDA_ERROR_OUT_OF_MEMORY -> "the GPU has too little free memory for this request";
            case CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU ->
                    "the kernel file holds no code for this GPU's architecture (and no PTX it could compile)";
            case CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION ->
                    "the kernels were built with a newer CUDA than this driver supports; update the NVIDIA driver";
            case CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, CUresult.CUDA_ERROR_LAUNCH_FAILED ->
                    "a kernel faulted; the context is unusable until the process restarts";
            case CUresult.CUDA_ERROR_INVALID_CONTEXT -> "no usable CUDA context is current on this thread";
            default -> "";
        };
        return hint.isEmpty() ? "" : ": " + hint;
    }
}
