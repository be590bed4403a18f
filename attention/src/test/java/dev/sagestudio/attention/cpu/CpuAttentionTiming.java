package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.LongSupplier;

/**
 * A small timing harness (no JMH) for the CPU attention backends on the shapes that matter: the
 * bundled text-to-image model's self- and cross-attention and the accuracy command's default. Each
 * case is warmed up (three calls of every case first, then at least 3 calls and 2 s), then timed
 * over a fixed number of calls, twice:
 * wall-clock time with the common fork-join pool (all cores), and the CPU time of the one thread of
 * a single-thread pool, which other processes on a shared machine disturb much less. It prints
 * medians and minima in milliseconds, as a markdown table.
 *
 * <p>Run: {@code java -cp attention/target/classes:attention/target/test-classes
 * dev.sagestudio.attention.cpu.CpuAttentionTiming [calls]}; put another build's classes first on the
 * class path to time that build.
 */
public final class CpuAttentionTiming {
    private CpuAttentionTiming() {}

    record Case(String name, int batch, int qHeads, int qLen, int kvLen, int headDim, DType dtype, Layout layout,
                boolean causal) {

        AttentionRequest request() {
            return AttentionInputs.generate(InputDistribution.BIASED_K, batch, qHeads, qHeads, qLen, kvLen, headDim,
                    dtype, layout, 7).request(causal);
        }
    }

    static final List<Case> CASES = List.of(
            new Case("t2i self B2 H4 256x256 D64 fp32", 2, 4, 256, 256, 64, DType.FP32, Layout.NHD, false),
            new Case("t2i cross B2 H4 256x32 D64 fp32", 2, 4, 256, 32, 64, DType.FP32, Layout.NHD, false),
            new Case("accuracy B1 H2 1024x1024 D128 fp16", 1, 2, 1024, 1024, 128, DType.FP16, Layout.HND, false),
            new Case("causal B1 H2 1024x1024 D128 fp16", 1, 2, 1024, 1024, 128, DType.FP16, Layout.HND, true));

    static final List<AttentionBackend> BACKENDS = List.of(
            new ReferenceAttention(),
            new SageAttentionEmulator(),
            new SageAttentionEmulator(new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP16_ACCUM_FP16)),
            new SageAttentionEmulator(new SageConfig(true, Granularity.PER_THREAD, PvMode.FP8)),
            new SageAttentionEmulator(new SageConfig(true, Granularity.PER_BLOCK, PvMode.INT8)));

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        System.out.printf(Locale.ROOT, "cores available: %d, calls timed per case: %d%n",
                Runtime.getRuntime().availableProcessors(), calls);
        System.out.println("| shape | backend | wall ms, all cores (median / min) | CPU ms, 1 thread (median / min) |");
        System.out.println("|---|---|---:|---:|");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ForkJoinPool single = new ForkJoinPool(1);
        // One untimed pass over everything first, so that the first case is not timed while the JIT
        // compiler threads still compete for the cores.
        for (Case c : CASES) {
            AttentionRequest request = c.request();
            for (AttentionBackend backend : BACKENDS) {
                for (int i = 0; i < 3; i++) {
                    backend.compute(request);
                }
            }
        }
        for (Case c : CASES) {
            AttentionRequest request = c.request();
            for (AttentionBackend backend : BACKENDS) {
                double[] wall = time(backend, request, calls, System::nanoTime);
                double[] cpu;
                try {
                    // Parallel streams inside a pool's task run in that pool: here, on its one thread.
                    cpu = single.submit(() -> time(backend, request, calls, threads::getCurrentThreadCpuTime)).get();
                } catch (InterruptedException | ExecutionException e) {
                    throw new IllegalStateException("timing " + backend.name() + " failed", e);
                }
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f / %.1f | %.1f / %.1f |%n", c.name(), backend.name(),
                        wall[wall.length / 2], wall[0], cpu[cpu.length / 2], cpu[0]);
            }
        }
        single.shutdown();
    }

    private static double[] time(AttentionBackend backend, AttentionRequest request, int calls, LongSupplier clock) {
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
            backend.compute(request);
        }
        double[] millis = new double[calls];
        for (int i = 0; i < calls; i++) {
            long start = clock.getAsLong();
            backend.compute(request);
            millis[i] = (clock.getAsLong() - start) / 1e6;
        }
        Arrays.sort(millis);
        return millis;
    }
}
