package dev.sagestudio.app.bench;

import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.attention.bench.GpuBenchmark;
import dev.sagestudio.models.pipeline.GenerationCancelledException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The GPU kernel harness ({@link GpuBenchmark}) as the {@code gpu-bench} command and the benchmark view run it: one
 * set of default points (the command's option defaults are these constants, so the view measures what the committed
 * H100 results measured), and a run that reports each record and stops at the next record once cancelled.
 */
public final class GpuHarness {

    public static final String BATCH = "4";
    public static final String HEADS = "32";
    public static final String HEAD_DIMS = "128,64";
    public static final String SEQ_LENS = "1024,2048,4096,8192,16384,32768";
    public static final String CAUSAL = "false,true";
    public static final String DTYPE = "fp16";
    public static final String RUNS = "20";
    public static final String WARMUP = "3";

    private GpuHarness() {
    }

    /** The default points for {@code backends} on CUDA device 0, no time budget. */
    public static GpuBenchmark.Settings defaults(List<String> backends) {
        return new GpuBenchmark.Settings(Integer.parseInt(BATCH), Integer.parseInt(HEADS), ints(HEAD_DIMS),
                ints(SEQ_LENS), Arrays.stream(CAUSAL.split(",")).map(Boolean::parseBoolean).toList(), backends,
                GpuBenchmark.parseDType(DTYPE), Integer.parseInt(RUNS), Integer.parseInt(WARMUP), 0, 0);
    }

    /** Kernel timings to expect from {@code settings}: one per backend, head dim, length and causal setting. */
    public static int points(GpuBenchmark.Settings settings) {
        return settings.backends().size() * settings.headDims().size() * settings.seqLens().size()
                * settings.causalModes().size();
    }

    /**
     * Runs the harness; {@code progress} hears of each kernel timing (the with-quantization record of the same runs
     * is not counted again), {@code cancelled} is asked after every record.
     *
     * @throws GenerationCancelledException once {@code cancelled} says so (the harness frees the GPU on the way out)
     * @throws dev.sagestudio.attention.gpu.GpuUnavailableException when there is no usable GPU
     */
    public static GpuBenchmark.Result run(GpuBenchmark.Settings settings, CpuAttentionBenchmark.Progress progress,
                                          BooleanSupplier cancelled) {
        return new GpuBenchmark(settings).run(new Listener(points(settings), progress, cancelled));
    }

    /** The harness's listener for {@link #run}: counts kernel timings, passes them on, and cancels. */
    static final class Listener implements GpuBenchmark.Listener {
        private final int total;
        private final CpuAttentionBenchmark.Progress progress;
        private final BooleanSupplier cancelled;
        private int done;

        Listener(int total, CpuAttentionBenchmark.Progress progress, BooleanSupplier cancelled) {
            this.total = total;
            this.progress = progress;
            this.cancelled = cancelled;
        }

        @Override
        public void started(String deviceDescription) {
            // the records carry the GPU's name; the description adds nothing the view shows
        }

        @Override
        public void measured(BenchRecord record) {
            if (!record.includesQuant()) {
                done++;
            }
            progress.measured(Math.min(done, total), total, record);
            if (cancelled.getAsBoolean()) {
                throw new GenerationCancelledException(done, total);
            }
        }

        @Override
        public void pointDone(List<BenchRecord> recordsSoFar) {
            // the view keeps its records when the run ends; nothing is written per point
        }
    }

    private static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }

    /** "sage-int8-fp16 D=128 N=4096 causal (+q): 512.3 TOPS", the line each record gets in the progress. */
    static String describe(BenchRecord r) {
        return String.format(Locale.ROOT, "%s D=%d N=%d %s%s: %.4g TOPS", r.backend(), r.headDim(), r.seqLen(),
                r.causal() ? "causal" : "non-causal", r.includesQuant() ? " (+q)" : "", r.tops());
    }
}
