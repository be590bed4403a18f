package dev.sagestudio.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One entry point: no arguments open the window, or say in one line why not; arguments are the command line. */
class LauncherTest {

    @Test
    void withoutADisplayTheLauncherNamesTheCommandLine() {
        String why = Launcher.whyNoDisplay(Map.of(), "Linux", null).orElseThrow();
        assertTrue(why.contains("./sagestudio generate"), why);
        assertTrue(Launcher.whyNoDisplay(Map.of("DISPLAY", ":1"), "Linux", null).isEmpty());
        assertTrue(Launcher.whyNoDisplay(Map.of("WAYLAND_DISPLAY", "wayland-0"), "Linux", null).isEmpty());
        assertTrue(Launcher.whyNoDisplay(Map.of(), "Linux", "Monocle").isEmpty(), "the headless platform needs none");
    }

    @Test
    void startedWithoutADisplayItExitsWithStatus2AndOneLine() throws Exception {
        Process p = java(List.of(), true);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), err);
        List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("sagestudio: no display"), err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void withACommandItIsTheCommandLine() throws Exception {
        Process p = java(List.of("--help"), true);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue());
        assertTrue(out.contains("Usage: sagestudio"), out);
    }

    private static Process java(List<String> args, boolean withoutDisplay) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), Launcher.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        if (withoutDisplay) {
            builder.environment().remove("DISPLAY");
            builder.environment().remove("WAYLAND_DISPLAY");
        }
        return builder.start();
    }
}
