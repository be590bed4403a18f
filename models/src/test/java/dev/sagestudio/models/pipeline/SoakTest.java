package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long runs in one JVM: 500 consecutive CPU generations leave the heap and the open file handles flat, and
 * cancellations at random points never leave the pipeline unusable. Figures go to stdout (and docs/RELIABILITY.md).
 */
class SoakTest {

    /** Generations of the soak; {@code -Dsagestudio.soak.generations=N} runs more (or fewer) by hand. */
    static final int GENERATIONS = Integer.getInteger("sagestudio.soak.generations", 500);

    @TempDir
    Path dir;

    @Test
    void fiveHundredGenerationsKeepHeapAndFileHandlesFlat() throws Exception {
        ModelBundle bundle = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
        int warmUp = Math.min(50, GENERATIONS / 2);
        try (OrtRuntime cpu = OrtRuntime.cpu(1);
             DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, AttentionResolver.resolve("cpu-sage-int8-fp16",
                     false), cpu)) {
            GenerationRequest request = GenerationRequest.of("a red heart", 1).withSteps(2);
            float[] first = pipeline.generate(request).output();
            for (int i = 1; i < warmUp; i++) {
                pipeline.generate(request.withSeed(i));
            }
            Usage before = Usage.now();
            long t0 = System.nanoTime();
            for (int i = warmUp; i < GENERATIONS; i++) {
                pipeline.generate(request.withSeed(i));
            }
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            Usage after = Usage.now();
            System.out.printf(Locale.ROOT, "soak: %d generations (2 steps, cpu-sage-int8-fp16) in %d s after %d"
                    + " warm-up; heap after GC %.1f -> %.1f MiB, open files %d -> %d, RSS %.1f -> %.1f MiB%n",
                    GENERATIONS - warmUp, seconds, warmUp, before.heapMiB(), after.heapMiB(), before.openFiles(),
                    after.openFiles(), before.rssMiB(), after.rssMiB());
            assertTrue(after.heapMiB() < before.heapMiB() + 8, "heap grew: " + before + " -> " + after);
            assertTrue(after.openFiles() <= before.openFiles() + 2, "file handles grew: " + before + " -> " + after);
            assertTrue(after.rssMiB() < before.rssMiB() + 64, "native memory grew: " + before + " -> " + after);
            assertArrayEquals(first, pipeline.generate(request).output(), "the same request still gives the same"
                    + " picture after the soak");
        }
    }

    @Test
    void cancellingAtRandomPointsNeverLeavesThePipelineUnusable() throws Exception {
        ModelBundle bundle = ModelBundle.load(TinyBundle.image(dir.resolve("cancel"), false));
        Random random = new Random(17);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (OrtRuntime cpu = OrtRuntime.cpu(1);
             DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, AttentionResolver.resolve("cpu-reference",
                     false), cpu)) {
            GenerationRequest request = GenerationRequest.of("a blue ghost", 5).withSteps(4);
            float[] expected = pipeline.generate(request).output();
            long runMicros = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) { // the fastest warm run, so that the random delays cover a run
                long t0 = System.nanoTime();
                pipeline.generate(request);
                runMicros = Math.min(runMicros, Math.max(1, (System.nanoTime() - t0) / 1000));
            }
            int cancelled = 0;
            for (int i = 0; i < 60; i++) {
                CancellationToken token = new CancellationToken();
                // anywhere from before the first step to about the end of the run
                timer.schedule(token::cancel, random.nextLong(runMicros + 1), TimeUnit.MICROSECONDS);
                try {
                    assertArrayEquals(expected, pipeline.generate(request, ProgressListener.NONE, token).output());
                } catch (GenerationCancelledException e) {
                    cancelled++;
                }
                assertArrayEquals(expected, pipeline.generate(request).output(), "run " + i + " after a cancel");
            }
            System.out.printf(Locale.ROOT, "cancel soak: %d of 60 runs cancelled at random points, every next run"
                    + " identical%n", cancelled);
            assertTrue(cancelled >= 5, "only " + cancelled + " runs were cancelled: too few to test anything");
        } finally {
            timer.shutdownNow();
        }
    }

    /**
     * Heap in use after a full GC, open file descriptors and resident memory of this process. Resident memory read
     * right after a burst of runs showed hundreds of MiB more than a few GCs later, so it is read only once it stops
     * falling (up to 3 s).
     */
    record Usage(double heapMiB, long openFiles, double rssMiB) {
        static Usage now() throws IOException, InterruptedException {
            Path fds = Path.of("/proc/self/fd");
            Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc (Linux)");
            double rss = Double.MAX_VALUE;
            for (int i = 0, steady = 0; i < 30 && steady < 3; i++) {
                System.gc();
                Thread.sleep(100);
                double now = residentMiB();
                steady = now > rss - 1 ? steady + 1 : 0;
                rss = Math.min(rss, now);
            }
            var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
            long files;
            try (Stream<Path> s = Files.list(fds)) {
                files = s.count();
            }
            return new Usage(heap, files, rss);
        }

        private static double residentMiB() throws IOException {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).map(l -> l.replaceAll("\\D", "")).mapToLong(Long::parseLong)
                    .findFirst().orElse(0) / 1024.0;
        }
    }
}
