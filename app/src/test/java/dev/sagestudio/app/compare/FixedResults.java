package dev.sagestudio.app.compare;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.ExecutionReport;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ImageMetrics;
import dev.sagestudio.models.pipeline.LayerError;
import dev.sagestudio.models.pipeline.StepTiming;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A hand-made A/B result with known numbers, so tests can check every number shown against its source:
 * 8×8 outputs in [-1, 1]; B equals A except frame {@code f} (of each video frame) where the top-left 2×2 pixels are
 * raised by {@code 0.1·(f+1)} in value (0.05·(f+1) in [0, 1] units). A's steps take 30, 34, 32 ms (ONNX Runtime
 * 10 ms, attention 18 ms each), B's 12, 14, 13 ms (ONNX Runtime 10 ms, attention 1.5 ms). Layer errors: steps 0
 * and 2 × nodes attn1, attn2, attn3; the worst is attn2 at step 2 (relative L1 0.03).
 */
public final class FixedResults {

    static final int SIZE = 8;
    static final String NODE_PREFIX = "/blocks/0/";

    private FixedResults() {
    }

    public static AbResult image() {
        return make(Kind.IMAGE, 1);
    }

    public static AbResult video(int frames) {
        return make(Kind.VIDEO, frames);
    }

    /** B's raise of frame {@code f} in [0, 1] units. */
    static double raise(int f) {
        return 0.05 * (f + 1);
    }

    private static AbResult make(Kind kind, int frames) {
        int plane = SIZE * SIZE;
        float[] a = new float[3 * frames * plane];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (Math.sin(i * 0.37) * 0.5);
        }
        float[] b = a.clone();
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < frames; f++) {
                for (int y = 0; y < 2; y++) {
                    for (int x = 0; x < 2; x++) {
                        b[(c * frames + f) * plane + y * SIZE + x] += (float) (2 * raise(f));
                    }
                }
            }
        }
        AttentionChoice choiceA = new AttentionChoice("cpu-reference", new ReferenceAttention(), Optional.empty(),
                Optional.empty(), Optional.empty(), null);
        AttentionChoice choiceB = new AttentionChoice("cpu-sage-int8-fp16", new SageAttentionEmulator(),
                Optional.empty(), Optional.empty(), Optional.empty(), null);
        GenerationResult ra = result(kind, frames, a, choiceA, new long[] {30, 34, 32}, 18_000_000L, 7);
        GenerationResult rb = result(kind, frames, b, choiceB, new long[] {12, 14, 13}, 1_500_000L, 7);
        ImageMetrics metrics = ImageMetrics.compare(a, b, frames, SIZE, SIZE, -1, 1);
        return new AbResult(ra, rb, metrics, layers(), false);
    }

    private static GenerationResult result(Kind kind, int frames, float[] output, AttentionChoice choice,
                                           long[] stepMs, long attentionNanos, long seed) {
        List<StepTiming> steps = new ArrayList<>();
        long sum = 0;
        for (long ms : stepMs) {
            steps.add(new StepTiming(ms * 1_000_000L, 10_000_000L, attentionNanos, 500_000L, 1, 6, 24, 4096));
            sum += ms * 1_000_000L;
        }
        ExecutionReport execution = new ExecutionReport(choice, 18, Map.of("denoiser", 6L), List.of(), "CPU",
                Optional.empty(), "host loop: the denoiser runs in host memory, the sampler in Java");
        return new GenerationResult("fixed-model", kind, "a red heart", "", seed, stepMs.length, 3.0,
                SchedulerName.FLOW_EULER, output, frames, SIZE, SIZE, -1, 1, 8, execution, 5_000_000L, 2_000_000L,
                sum + 7_000_000L, steps, List.of());
    }

    /**
     * A sweep of the image above: rows seeds 1 and 2 (B's outputs shifted by the seed), columns cpu-reference and
     * cpu-sage-int8-fp16, 3 steps each.
     */
    public static SweepResult sweep() {
        AbResult r = image();
        List<List<GenerationResult>> grid = new ArrayList<>();
        for (long seed = 1; seed <= 2; seed++) {
            float[] b = r.b().output().clone();
            b[0] += 0.1f * seed;
            grid.add(List.of(result(Kind.IMAGE, 1, r.a().output(), r.a().execution().attention(),
                    new long[] {30, 34, 32}, 18_000_000L, seed), result(Kind.IMAGE, 1, b,
                    r.b().execution().attention(), new long[] {12, 14, 13}, 1_500_000L, seed)));
        }
        return SweepResult.of(grid);
    }

    private static List<LayerError> layers() {
        AttentionShape shape = new AttentionShape(2, 4, 4, 16, 16, 32, DType.FP32, Layout.HND, false);
        AccuracyMetrics exactA = new AccuracyMetrics(1.0, 1e-7, 1e-8, 1e-7);
        List<LayerError> out = new ArrayList<>();
        double[][] relL1 = {{0.010, 0.012, 0.011}, {0.015, 0.030, 0.020}};
        int[] steps = {0, 2};
        for (int s = 0; s < steps.length; s++) {
            for (int n = 0; n < 3; n++) {
                double r = relL1[s][n];
                AccuracyMetrics b = new AccuracyMetrics(1 - r * r, r, r / 10, r * 4);
                out.add(new LayerError(steps[s], NODE_PREFIX + "attn" + (n + 1) + "/Attention", "cond+uncond", shape,
                        exactA, b, b));
            }
        }
        return out;
    }
}
