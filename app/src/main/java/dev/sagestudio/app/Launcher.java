package dev.sagestudio.app;

import dev.sagestudio.app.cli.SageStudioCli;
import dev.sagestudio.app.service.IdleHeap;
import dev.sagestudio.app.service.NativeCache;
import dev.sagestudio.app.ui.SageStudioApp;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javafx.application.Application;

/**
 * The one entry point: no arguments open the desktop app, anything else is the command line. Not a JavaFX
 * {@code Application} itself, so that {@code java -jar} with JavaFX on the class path starts it (the JDK's launcher
 * refuses a main class that extends Application when JavaFX is not on the module path).
 */
public final class Launcher {
    static final String NO_DISPLAY_HINT = "use the command line instead, e.g. ./sagestudio generate \"a red heart,"
            + " twemoji style\" -o heart.png (./sagestudio --help lists every command)";

    private Launcher() {
    }

    public static void main(String[] args) {
        IdleHeap.returnWhenIdle(); // a long session must not keep a burst's heap (docs/RELIABILITY.md)
        if (args.length > 0) {
            SageStudioCli.main(args);
            return;
        }
        Optional<String> noDisplay = whyNoDisplay(System.getenv(), System.getProperty("os.name", ""),
                System.getProperty("glass.platform"));
        if (noDisplay.isPresent()) {
            System.err.println("sagestudio: " + noDisplay.get());
            System.exit(2);
        }
        NativeCache.configure(); // before ONNX Runtime's natives unpack, as the command line does
        try {
            Application.launch(SageStudioApp.class);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            System.err.println("sagestudio: the window could not be opened (" + firstLine(e) + "); " + NO_DISPLAY_HINT);
            System.exit(2);
        }
    }

    /**
     * Why the window cannot open here, or empty: on Linux (X11 or Wayland) a display must be named in the
     * environment, unless JavaFX runs on its headless Monocle platform.
     */
    static Optional<String> whyNoDisplay(Map<String, String> env, String osName, String glassPlatform) {
        boolean linux = osName.toLowerCase(Locale.ROOT).contains("linux");
        boolean headlessPlatform = "Monocle".equalsIgnoreCase(glassPlatform);
        boolean display = !env.getOrDefault("DISPLAY", "").isBlank() || !env.getOrDefault("WAYLAND_DISPLAY", "").isBlank();
        if (linux && !headlessPlatform && !display) {
            return Optional.of("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
                    + NO_DISPLAY_HINT);
        }
        return Optional.empty();
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String m = String.valueOf(root.getMessage());
        return m.lines().findFirst().orElse(m);
    }
}
