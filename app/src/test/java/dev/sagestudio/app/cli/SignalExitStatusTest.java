package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C (SIGINT) around the output write: the exit status always says what happened to the file. */
class SignalExitStatusTest {

    @TempDir
    Path dir;

    /**
     * Whether this process was started with SIGINT ignored ({@code SigIgn} in /proc/self/status), as a background job
     * of a non-interactive shell is: a JVM started so keeps it ignored and so do its children, so the probe could not
     * be interrupted. False where /proc is not there.
     */
    static boolean sigintIgnoredHere() throws java.io.IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseLong(line.substring("SigIgn:".length()).trim(), 16) & (1L << (2 - 1))) != 0;
            }
        }
        return false;
    }

    /** Runs {@link SignalProbe} in a child JVM, sends SIGINT when it prints {@code signalAt}; returns its status. */
    private int interrupted(String mode, Path target, String signalAt) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/kill")) || Files.isExecutable(Path.of("/usr/bin/kill")),
                "needs kill");
        Assumptions.assumeFalse(sigintIgnoredHere(), "this JVM was started with SIGINT ignored (e.g. by `cmd &` in a"
                + " script); its children inherit that, so Ctrl-C cannot be tested here");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                SignalProbe.class.getName(), mode, target.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith(signalAt)) {
                // wait for the point to interrupt
            }
            assertTrue(line != null, "the probe never reached '" + signalAt + "'");
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).start().waitFor());
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the probe did not stop");
            return child.exitValue();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void sigintWhileTheFileIsWrittenExits130AndKeepsTheOldFile() throws Exception {
        Path target = Files.writeString(dir.resolve("out.png"), "old picture");
        assertEquals(130, interrupted("during-write", target, "writing"));
        assertEquals("old picture", Files.readString(target));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no partial file left");
        }
    }

    @Test
    void sigintAfterTheFileReplacedTheTargetExitsZeroBecauseItWasWritten() throws Exception {
        Path target = Files.writeString(dir.resolve("out.png"), "old picture");
        assertEquals(0, interrupted("after-write", target, "wrote"));
        assertEquals("new picture", Files.readString(target));
    }
}
