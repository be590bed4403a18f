package dev.sagestudio.app.bench;

import dev.sagestudio.app.compare.Bundles;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.DiffusionPipeline;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The end-to-end benchmark of one model: per backend, the pipeline opened as a generation opens it (device path,
 * host API or CPU, whatever the resolver picks here, no fallback), a one-step warm-up generation, then one timed
 * generation of {@code steps} steps. Blocking: call it off the UI thread.
 */
public final class EndToEndBench {

    /** The prompt every run uses: its content does not change the work a step does. */
    static final String PROMPT = "a red heart, twemoji style";

    /** Told after each timed step: which backend, the step (1-based) and the steps of its run. */
    @FunctionalInterface
    public interface Progress {
        void step(String backend, int step, int steps);
    }

    private EndToEndBench() {
    }

    /**
     * Times {@code model} with each of {@code backends}; {@code steps} null takes the model's default.
     *
     * @throws dev.sagestudio.models.pipeline.GenerationCancelledException once {@code cancelled} says so
     */
    public static List<BenchmarkResults.EndToEnd> run(Path model, List<String> backends, Integer steps, int threads,
                                                      Progress progress, BooleanSupplier cancelled)
            throws IOException {
        ModelBundle bundle = Bundles.load(model);
        CancellationToken cancel = new CancellationToken();
        GenerationRequest timed = GenerationRequest.of(PROMPT, 0).withSteps(steps).withPreviewEvery(0);
        List<BenchmarkResults.EndToEnd> out = new ArrayList<>();
        for (String name : backends) {
            try (AttentionChoice choice = AttentionResolver.resolve(name, false, threads);
                 DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, choice, OrtRuntime.cpu(threads))) {
                pipeline.generate(timed.withSteps(1), event -> stopIfCancelled(cancelled, cancel), cancel);
                ProgressListener listener = event -> {
                    stopIfCancelled(cancelled, cancel);
                    progress.step(name, event.step() + 1, event.steps());
                };
                GenerationResult r = pipeline.generate(timed, listener, cancel);
                boolean split = r.stepTimeSplitMissing().isEmpty();
                out.add(new BenchmarkResults.EndToEnd(bundle.spec().name(), name, r.execution().attentionThatRan(),
                        r.steps(), r.medianStepNanos() / 1e6, r.totalNanos() / 1e6,
                        split ? r.ortNanos() / 1e6 : BenchmarkResults.NOT_SPLIT,
                        split ? r.attentionNanos() / 1e6 : BenchmarkResults.NOT_SPLIT));
            }
        }
        return List.copyOf(out);
    }

    private static void stopIfCancelled(BooleanSupplier cancelled, CancellationToken cancel) {
        if (cancelled.getAsBoolean()) {
            cancel.cancel();
        }
    }
}
