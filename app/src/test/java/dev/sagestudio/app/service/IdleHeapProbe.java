package dev.sagestudio.app.service;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.DiffusionPipeline;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.TinyBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Run by {@link IdleHeapTest} in a child JVM: {@code IdleHeap.returnWhenIdle()} (mode {@code on}; {@code off} skips
 * it), prints the interval G1 ended up with, then (unless mode {@code interval-only}) a burst: tiny generations and
 * 256 MiB held for a moment, as a large run's peak would; then, idle, one line per half second with the committed heap
 * and resident memory in MiB ("idle SECONDS HEAP RSS") for up to two intervals and 4 s (until
 * it is below a third of the burst's).
 */
public final class IdleHeapProbe {
    private IdleHeapProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        if (!mode.equals("off")) {
            IdleHeap.returnWhenIdle();
        }
        System.out.println("interval " + ManagementFactory.getPlatformMXBean(
                com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption(IdleHeap.OPTION).getValue());
        if (mode.equals("interval-only")) {
            return;
        }
        Path dir = Files.createTempDirectory("idle-heap");
        ModelBundle bundle = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
        try (OrtRuntime cpu = OrtRuntime.cpu(1);
             DiffusionPipeline p = DiffusionPipeline.open(bundle, AttentionResolver.resolve("cpu-sage-int8-fp16",
                     false), cpu)) {
            GenerationRequest r = GenerationRequest.of("a red heart", 1).withSteps(2);
            for (int i = 0; i < 300; i++) {
                p.generate(r.withSeed(i));
            }
        }
        List<byte[]> peak = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            peak.add(new byte[4 << 20]);
        }
        double burst = committedMiB();
        System.out.println(line("burst", 0) + " held " + peak.size());
        peak = null;
        long t0 = System.nanoTime();
        // G1 looks every interval whether the last collection is an interval old: at most two intervals
        long polls = (2 * IdleHeap.INTERVAL_MILLIS + 4000) / 500;
        for (int i = 1; i <= polls; i++) {
            Thread.sleep(500);
            System.out.println(line("idle", (System.nanoTime() - t0) / 1e9));
            if (committedMiB() < burst / 3) {
                return; // given back: nothing more to see
            }
        }
    }

    private static double committedMiB() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1048576.0;
    }

    private static String line(String what, double seconds) throws Exception {
        double heap = committedMiB();
        double rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .map(l -> l.replaceAll("\\D", "")).mapToLong(Long::parseLong).findFirst().orElse(0) / 1024.0;
        return String.format(Locale.ROOT, "%s %.1f %.1f %.1f", what, seconds, heap, rss);
    }
}
