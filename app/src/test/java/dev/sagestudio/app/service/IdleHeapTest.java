package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The heap a burst of runs grew goes back to the system once the process is idle ({@link IdleHeap}), measured in a
 * child JVM with the default collector (G1) that calls {@link IdleHeap} as {@code Launcher} does: the committed heap
 * after a burst with a 256 MiB peak falls below 128 MiB within two intervals (G1 looks once an interval whether the
 * last collection is an interval old) and 4 s, and resident memory with it; a user's own
 * {@code -XX:G1PeriodicGCInterval} is kept.
 */
class IdleHeapTest {

    private static List<String> probe(String mode, String... jvmOptions) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc (Linux)");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), IdleHeapProbe.class.getName(), mode));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(child.waitFor(90, TimeUnit.SECONDS), "the probe did not finish");
            assertEquals(0, child.exitValue());
            return new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void theHeapOfABurstGoesBackToTheSystemOnceTheProcessIsIdle() throws Exception {
        List<String> lines = probe("on");
        assertEquals("interval " + IdleHeap.INTERVAL_MILLIS, lines.get(0));
        double[] burst = figures(lines.stream().filter(l -> l.startsWith("burst ")).findFirst().orElseThrow());
        assertTrue(burst[1] >= 256, "the burst's peak grew the committed heap to " + burst[1] + " MiB");
        double[] settled = lines.stream().filter(l -> l.startsWith("idle ")).map(IdleHeapTest::figures)
                .filter(f -> f[1] < 128).findFirst().orElseThrow(() -> new AssertionError(
                        "the committed heap stayed at 128 MiB or more while idle: " + lines));
        assertTrue(settled[2] < burst[2] - 128, "resident memory " + burst[2] + " -> " + settled[2] + " MiB");
        System.out.printf(java.util.Locale.ROOT, "idle heap: committed %.0f -> %.0f MiB, resident %.0f -> %.0f MiB"
                + " after %.1f s idle%n", burst[1], settled[1], burst[2], settled[2], settled[0]);
    }

    @Test
    void aUsersOwnIntervalIsKept() throws Exception {
        assertEquals(List.of("interval 123000"), probe("interval-only", "-XX:G1PeriodicGCInterval=123000"));
    }

    /** "what SECONDS HEAP RSS ..." as {seconds, heap, rss}. */
    private static double[] figures(String line) {
        String[] parts = line.split(" ");
        return new double[] {Double.parseDouble(parts[1]), Double.parseDouble(parts[2]), Double.parseDouble(parts[3])};
    }
}
