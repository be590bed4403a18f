package dev.sagestudio.attention.gpu;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** Return-code checking for JCuda driver calls; JCuda's own exception mode stays off. */
final class Cuda {
    private Cuda() {}

    static {
        // We check every return code ourselves so each failure names the call that failed.
        JCudaDriver.setExceptionsEnabled(false);
    }

    /** Throws {@link CudaException} naming {@code call} unless {@code result} is {@code CUDA_SUCCESS}. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(call, result);
        }
    }

    /** Makes sure the class initializer above ran before any driver call. */
    static void init() {
        // class initialization does the work
    }
}
