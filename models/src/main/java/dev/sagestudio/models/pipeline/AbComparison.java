package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.onnx.AttentionStep;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A/B run: the same request (prompt, seed, steps, guidance, scheduler) through two attention backends, one after the
 * other, each in its own pipeline that is closed before the next opens. The initial noise depends only on the seed,
 * so the two runs differ only in attention. During A's run the Q, K and V of sampled denoiser attention calls are
 * kept; afterwards each is recomputed with B and exactly, giving per-layer errors on real activations.
 */
public final class AbComparison {

    /**
     * What to sample for per-layer errors.
     *
     * @param sampledSteps how many denoising steps to sample, spread evenly from the first to the last
     * @param maxCallsPerStep attention calls kept per sampled step (in execution order, i.e. the first layers)
     * @param maxCaptureBytes memory budget for captured tensors
     */
    public record Options(int sampledSteps, int maxCallsPerStep, long maxCaptureBytes) {
        public Options {
            if (sampledSteps < 0 || maxCallsPerStep < 0 || maxCaptureBytes < 0) {
                throw new IllegalArgumentException("sampling options must not be negative");
            }
        }

        /** First, middle and last step; up to 8 calls each; 256 MiB. */
        public static Options defaults() {
            return new Options(3, 8, 256L << 20);
        }
    }

    private AbComparison() {
    }

    /**
     * Runs {@code request} with {@code a}, then with {@code b}.
     *
     * @param progress a listener per run, given the run's backend name
     */
    public static AbResult run(ModelBundle bundle, AttentionChoice a, AttentionChoice b, OrtRuntime runtime,
                               GenerationRequest request, Options options, Function<String, ProgressListener> progress,
                               CancellationToken cancel) throws IOException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(progress, "progress");
        int steps = request.steps() != null ? request.steps() : bundle.spec().defaults().steps();
        // Per-layer errors need both backends' hands on Q/K/V; with onnxruntime on either side there are none.
        boolean layerErrors = !a.isOnnxRuntime() && !b.isOnnxRuntime();
        // On the device path Q/K/V never reach the host, so A's activations are captured in a third, untimed pass
        // through the same kernel's host API; on the host paths the capture rides along A's own run.
        boolean separateCapture = layerErrors && a.device().isPresent();
        CapturingBackend capture = layerErrors ? new CapturingBackend(a.backend(),
                sampledSteps(steps, options.sampledSteps()), options.maxCallsPerStep(), options.maxCaptureBytes())
                : null;
        Run runA = generate(bundle, a, runtime, separateCapture ? null : capture, request, progress.apply(a.name()),
                cancel);
        Run runB = generate(bundle, b, runtime, null, request, progress.apply(b.name()), cancel);
        Run captured = runA;
        if (separateCapture) {
            captured = generate(bundle, a, runtime, capture, request,
                    progress.apply(a.name() + " (capturing activations, host API)"), cancel);
        }
        List<LayerError> layers = capture == null ? List.of() : layerErrors(capture.captured(),
                captured.attentionSteps(), captured.batchOfOne(), captured.result(), b.backend(), cancel);
        GenerationResult resultA = runA.result();
        GenerationResult resultB = runB.result();
        ImageMetrics metrics = ImageMetrics.compare(resultA.output(), resultB.output(), resultA.frames(),
                resultA.height(), resultA.width(), resultA.valueLow(), resultA.valueHigh());
        return new AbResult(resultA, resultB, metrics, layers, capture != null && capture.budgetHit());
    }

    private record Run(GenerationResult result, List<AttentionStep> attentionSteps, boolean batchOfOne) {
    }

    /** One generation in its own pipeline, closed before returning; {@code capture} (or null) wraps the attention. */
    private static Run generate(ModelBundle bundle, AttentionChoice choice, OrtRuntime runtime,
                                CapturingBackend capture, GenerationRequest request, ProgressListener user,
                                CancellationToken cancel) throws IOException {
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, choice, runtime,
                capture != null ? capture : choice.backend())) {
            // One untimed step first: sessions open lazily and CUDA libraries initialise on first use, which would
            // otherwise land in whichever side runs first (seen on the H100: 2x on A's total). Not captured: the
            // capture records sampled steps only after the pipeline announces them.
            pipeline.generate(request.withSteps(1), ProgressListener.NONE, cancel);
            GenerationResult result = pipeline.generate(request, new ProgressListener() {
                @Override
                public void beforeStep(int step, int total) {
                    if (capture != null) {
                        capture.beforeStep(step);
                    }
                    user.beforeStep(step, total);
                }

                @Override
                public void onStep(StepEvent event) {
                    user.onStep(event);
                }
            }, cancel);
            return new Run(result, pipeline.denoiser().graph().plan().attentionSteps(),
                    pipeline.denoiser().batchFixedToOne());
        }
    }

    /** {@code count} step indices spread evenly over {@code 0..steps-1}, always including the first and last. */
    static Set<Integer> sampledSteps(int steps, int count) {
        Set<Integer> out = new TreeSet<>();
        if (count <= 0 || steps <= 0) {
            return out;
        }
        if (count == 1) {
            out.add(0);
            return out;
        }
        for (int i = 0; i < count; i++) {
            out.add((int) Math.round(i * (steps - 1) / (double) (count - 1)));
        }
        return out;
    }

    private static List<LayerError> layerErrors(List<CapturingBackend.Captured> captured, List<AttentionStep> nodes,
                                                boolean batchOfOne, GenerationResult a, AttentionBackend b,
                                                CancellationToken cancel) {
        ReferenceAttention exact = new ReferenceAttention();
        boolean guided = a.guidanceScale() != 1.0;
        List<LayerError> out = new ArrayList<>(captured.size());
        for (CapturingBackend.Captured c : captured) {
            cancel.throwIfCancelled(a.steps(), a.steps());
            int perRun = Math.max(1, nodes.size());
            String node = nodes.isEmpty() ? "call " + c.index() : nodes.get(c.index() % perRun).node().label();
            String part = !guided ? "cond" : batchOfOne ? (c.index() / perRun == 0 ? "cond" : "uncond") : "cond+uncond";
            double[] reference = exact.computeExact(c.request());
            float[] outA = c.output().toArray();
            float[] outB = b.compute(c.request()).toArray();
            double[] wideA = new double[outA.length];
            for (int i = 0; i < outA.length; i++) {
                wideA[i] = outA[i];
            }
            out.add(new LayerError(c.step(), node, part, c.request().shape(), AccuracyMetrics.compare(reference, outA),
                    AccuracyMetrics.compare(reference, outB), AccuracyMetrics.compare(wideA, outB)));
        }
        return out;
    }
}
