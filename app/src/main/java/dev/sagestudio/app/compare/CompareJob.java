package dev.sagestudio.app.compare;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AbComparison;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Runs one A/B comparison for the compare view (A, then B, both warmed up; activations captured for per-layer
 * errors) and keeps the result so it can be exported. Blocking: call it off the UI thread.
 *
 * @param bundle the model bundle's folder
 * @param steps denoising steps, or null for the model's default
 * @param threads ONNX Runtime intra-op threads (0 = its default)
 */
public record CompareJob(Path bundle, String prompt, long seed, Integer steps, String backendA, String backendB,
                         int threads) {

    public CompareJob {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(backendA, "backendA");
        Objects.requireNonNull(backendB, "backendB");
    }

    /** Told each finished step of either run: {@code side} is "A", "B" or "A (capturing activations…)". */
    @FunctionalInterface
    public interface Progress {
        void step(String side, int step, int steps);
    }

    /** The finished comparison: what the view shows, and the full result for the report. */
    public record Done(CompareOutcome outcome, AbResult result) {
        /** Writes the self-contained HTML report and the numbers as JSON next to it; returns the JSON's path. */
        public Path exportReport(Path html) throws IOException {
            return HtmlReport.write(result, html);
        }
    }

    /** Runs the comparison; {@code cancelled} is polled between steps (then the cancellation is thrown). */
    public Done run(Progress progress, BooleanSupplier cancelled) throws IOException {
        ModelBundle model = Bundles.load(bundle);
        CancellationToken cancel = new CancellationToken();
        GenerationRequest request = GenerationRequest.of(prompt, seed).withSteps(steps);
        // AbComparison asks for a listener per run, in order: A, B, then (on the device path) A's capture pass.
        AtomicInteger runs = new AtomicInteger();
        try (AttentionChoice a = AttentionResolver.resolve(backendA, false, threads);
             AttentionChoice b = AttentionResolver.resolve(backendB, false, threads)) {
            AbResult result = AbComparison.run(model, a, b, OrtRuntime.cpu(threads), request,
                    AbComparison.Options.defaults(), name -> listener(side(runs.getAndIncrement()), progress,
                            cancelled, cancel), cancel);
            return new Done(CompareOutcome.of(result), result);
        }
    }

    private static String side(int run) {
        return run == 0 ? "A" : run == 1 ? "B" : "A (capturing activations)";
    }

    private static ProgressListener listener(String side, Progress progress, BooleanSupplier cancelled,
                                             CancellationToken cancel) {
        return event -> {
            if (cancelled.getAsBoolean()) {
                cancel.cancel();
            }
            progress.step(side, event.step() + 1, event.steps());
        };
    }
}
