package dev.sagestudio.app.doctor;

import dev.sagestudio.models.runtime.OrtRuntime;
import java.util.Optional;

/**
 * Whether ONNX Runtime's CUDA EP starts on device 0. Asked once per process: the answer does not change while the
 * program runs, and asking loads ONNX Runtime's GPU natives. {@code sagestudio doctor}, the device panel and the
 * backend pickers share it.
 */
public final class CudaEpCheck {

    private CudaEpCheck() {
    }

    /** Why the CUDA EP does not start on device 0 here; empty when it does. */
    public static Optional<String> problemHere() {
        return Holder.PROBLEM;
    }

    private static final class Holder {
        static final Optional<String> PROBLEM = ask();
    }

    private static Optional<String> ask() {
        try (OrtRuntime runtime = OrtRuntime.cudaOrCpu(0, 1)) {
            return runtime.fallbackReason();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("ONNX Runtime's CUDA execution provider could not be tried: " + e.getMessage());
        }
    }
}
