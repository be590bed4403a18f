package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.scheduler.Scheduler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Timing per attention backend on a bundle: a whole denoising step (guided, as generation runs it), or the
 * attention calls alone on real activations (Q/K/V captured from the model's first step). Medians of {@code runs}
 * after {@code warmup} unmeasured runs; wall clock on this machine.
 */
public final class PipelineBench {

    /** Medians of one denoising step with one backend. */
    public record StepTime(String backend, long totalNanos, long ortNanos, long attentionNanos, int runs) {
    }

    /** Median time of one captured attention call per backend (same order as the backends given). */
    public record AttentionTime(int index, AttentionShape shape, Map<String, Long> medianNanos) {
    }

    private PipelineBench() {
    }

    /** Times the denoiser's first guided step once per backend. */
    public static List<StepTime> step(ModelBundle bundle, List<AttentionChoice> backends, OrtRuntime runtime,
                                      GenerationRequest request, int warmup, int runs) throws IOException {
        requireRuns(warmup, runs);
        List<StepTime> out = new ArrayList<>();
        for (AttentionChoice choice : backends) {
            try (DiffusionPipeline p = DiffusionPipeline.open(bundle, choice, runtime)) {
                double guidance = request.guidanceScale() != null ? request.guidanceScale()
                        : bundle.spec().defaults().guidanceScale();
                TextEmbedder.Embedding cond = p.textEmbedder().embed(request.prompt());
                List<TextCondition> contexts = new ArrayList<>(List.of(cond.condition()));
                if (guidance != 1.0) {
                    String negative = request.negativePrompt() != null ? request.negativePrompt()
                            : bundle.spec().defaults().negativePrompt() == null ? ""
                            : bundle.spec().defaults().negativePrompt();
                    contexts.add(p.textEmbedder().embedNegative(negative, cond).condition());
                }
                Scheduler scheduler = p.schedulerConfig(request).create();
                scheduler.setTimesteps(request.steps() != null ? request.steps() : bundle.spec().defaults().steps());
                float[] x = new SeededNoise(request.seed()).next(p.denoiser().sampleSize());
                float[] input = scheduler.scaleModelInput(x, 0);
                long[] total = new long[runs];
                long[] ort = new long[runs];
                long[] attention = new long[runs];
                for (int i = 0; i < warmup + runs; i++) {
                    long t0 = System.nanoTime();
                    Denoiser.Prediction pr = p.denoiser().predict(input, scheduler.timesteps()[0], contexts,
                            () -> { });
                    long t = System.nanoTime() - t0;
                    if (i >= warmup) {
                        total[i - warmup] = t;
                        ort[i - warmup] = pr.ortNanos();
                        attention[i - warmup] = pr.attentionNanos();
                    }
                }
                out.add(new StepTime(choice.name(), median(total), median(ort), median(attention), runs));
            }
        }
        return out;
    }

    /**
     * Captures the Q/K/V of every denoiser attention call of the first step (run with the first backend), then times
     * each call with each backend.
     */
    public static List<AttentionTime> attention(ModelBundle bundle, List<AttentionChoice> backends, OrtRuntime runtime,
                                                GenerationRequest request, int warmup, int runs) throws IOException {
        requireRuns(warmup, runs);
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("name at least one attention backend");
        }
        for (AttentionChoice choice : backends) {
            choice.requireBackend("timing single attention calls");
        }
        CapturingBackend capture = new CapturingBackend(backends.get(0).backend(), Set.of(0), Integer.MAX_VALUE,
                1L << 30);
        try (DiffusionPipeline p = DiffusionPipeline.open(bundle, backends.get(0), runtime, capture)) {
            p.generate(request.withSteps(1).withPreviewEvery(0), new ProgressListener() {
                @Override
                public void onStep(StepEvent event) {
                }

                @Override
                public void beforeStep(int step, int steps) {
                    capture.beforeStep(step);
                }
            }, new CancellationToken());
        }
        List<AttentionTime> out = new ArrayList<>();
        for (CapturingBackend.Captured c : capture.captured()) {
            Map<String, Long> times = new LinkedHashMap<>();
            for (AttentionChoice choice : backends) {
                long[] t = new long[runs];
                for (int i = 0; i < warmup + runs; i++) {
                    long t0 = System.nanoTime();
                    choice.backend().compute(c.request());
                    if (i >= warmup) {
                        t[i - warmup] = System.nanoTime() - t0;
                    }
                }
                times.put(choice.backend().name(), median(t));
            }
            out.add(new AttentionTime(c.index(), c.request().shape(), times));
        }
        return out;
    }

    private static void requireRuns(int warmup, int runs) {
        if (warmup < 0 || runs < 1) {
            throw new IllegalArgumentException("need warmup >= 0 and runs >= 1, got " + warmup + " and " + runs);
        }
    }

    static long median(long[] values) {
        long[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
