package dev.sagestudio.app.bench;

import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.attention.cpu.AttentionInputs;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationCancelledException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The attention microbenchmark on the CPU: each CPU backend on synthetic Q, K, V (channel-biased, as trained models
 * have them) over sequence lengths, head dims and causal settings, wall clock, median of {@code runs} after
 * {@code warmup}. Writes the same {@link BenchRecord}s as the GPU harness ({@code gpu-bench}), with the CPU's name as
 * the device, so one plot and one file format serve both. TOPS counts 4·B·H·N²·D operations, halved when causal.
 */
public final class CpuAttentionBenchmark {

    /**
     * What to time.
     *
     * @param backends CPU backend names (see the CPU entries of {@link BackendCatalog})
     */
    public record Plan(List<String> backends, List<Integer> headDims, List<Integer> seqLens, List<Boolean> causal,
                       int batch, int heads, int warmup, int runs) {
        public Plan {
            backends = List.copyOf(backends);
            headDims = List.copyOf(headDims);
            seqLens = List.copyOf(seqLens);
            causal = List.copyOf(causal);
            if (batch < 1 || heads < 1 || warmup < 0 || runs < 1) {
                throw new IllegalArgumentException("need batch, heads, runs >= 1 and warmup >= 0");
            }
        }

        /** The exact reference against the default SageAttention emulation, head dims 64 and 128, N 128..1024. */
        public static Plan defaults() {
            return new Plan(BackendsHere.cpuPair(), List.of(64, 128),
                    List.of(128, 256, 512, 1024), List.of(false, true), 1, 2, 1, 3);
        }

        public int points() {
            return backends.size() * headDims.size() * seqLens.size() * causal.size();
        }
    }

    /** Told after each measured point. */
    @FunctionalInterface
    public interface Progress {
        void measured(int done, int total, BenchRecord record);
    }

    private CpuAttentionBenchmark() {
    }

    /** Runs {@code plan}; stops between runs when {@code cancel} is set (throwing the cancellation). */
    public static List<BenchRecord> run(Plan plan, Progress progress, CancellationToken cancel) {
        String device = cpuName();
        String date = LocalDate.now(ZoneOffset.UTC).toString();
        List<BenchRecord> out = new ArrayList<>();
        int total = plan.points();
        for (int headDim : plan.headDims()) {
            for (int seqLen : plan.seqLens()) {
                AttentionInputs inputs = AttentionInputs.generate(InputDistribution.BIASED_K, plan.batch(),
                        plan.heads(), plan.heads(), seqLen, seqLen, headDim, DType.FP32, Layout.HND,
                        seqLen * 131L + headDim);
                for (boolean causal : plan.causal()) {
                    AttentionRequest request = inputs.request(causal);
                    for (String name : plan.backends()) {
                        AttentionBackend backend = BackendCatalog.standard().require(name).createCpu();
                        double[] ms = new double[plan.runs()];
                        for (int i = -plan.warmup(); i < plan.runs(); i++) {
                            if (cancel.isCancelled()) {
                                throw new GenerationCancelledException(out.size(), total);
                            }
                            long t0 = System.nanoTime();
                            backend.compute(request);
                            if (i >= 0) {
                                ms[i] = (System.nanoTime() - t0) / 1e6;
                            }
                        }
                        double median = median(ms);
                        BenchRecord r = new BenchRecord(device, date, backend.name(), plan.batch(), plan.heads(),
                                headDim, seqLen, causal, backend.name().startsWith("cpu-sage"),
                                BenchRecord.tops(plan.batch(), plan.heads(), seqLen, headDim, causal, median), median,
                                plan.runs(), DType.FP32.label(), null);
                        out.add(r);
                        progress.measured(out.size(), total, r);
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** "CPU: <model name> (<n> threads)", from /proc/cpuinfo where there is one. */
    public static String cpuName() {
        String model = System.getProperty("os.arch");
        Path info = Path.of("/proc/cpuinfo");
        if (Files.isReadable(info)) {
            try {
                for (String line : Files.readAllLines(info)) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("model name") && line.contains(":")) {
                        model = line.substring(line.indexOf(':') + 1).trim();
                        break;
                    }
                }
            } catch (IOException e) {
                // keep the architecture name: the device label is informative only
            }
        }
        return "CPU: " + model + " (" + Runtime.getRuntime().availableProcessors() + " threads)";
    }
}
