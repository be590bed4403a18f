package dev.sagestudio.app.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * The benchmark view's work, without JavaFX: says what a run measures on this machine ({@link #plan()}) and runs it:
 * the attention kernels (the GPU harness where a GPU backend runs here, else the CPU backends), then, when a model is
 * given, a whole generation of it per backend. Blocking: the view model calls {@link #run} off the UI thread.
 */
public interface BenchmarkService {

    /** What {@link #run} measures here, and why not on the GPU when it does not. */
    BenchPlan plan();

    /** Measures; {@code cancelled} is asked between kernel timings and between generation steps. */
    BenchmarkResults run(Request request, Progress progress, BooleanSupplier cancelled) throws IOException;

    /**
     * What to run beyond the kernels.
     *
     * @param model the model bundle to time end to end, or null for the kernels alone
     * @param steps denoising steps of each timed generation, or null for the model's default
     * @param threads ONNX Runtime intra-op threads (0 = its default)
     */
    record Request(Path model, Integer steps, int threads) {
    }

    /** How far the run is (0..1) and what it measured last. */
    @FunctionalInterface
    interface Progress {
        void report(double fraction, String what);
    }
}
