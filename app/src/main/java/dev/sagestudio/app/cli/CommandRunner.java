package dev.sagestudio.app.cli;

import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationCancelledException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a generating command's work with Ctrl-C mapped to cancellation (the run stops within one step and closes its
 * sessions before the JVM exits) and failures turned into one clear line on stderr with an exit status:
 * 0 done, 1 failed, 2 bad input, 130 cancelled.
 */
final class CommandRunner {

    @FunctionalInterface
    interface Work {
        void run(CancellationToken cancel) throws Exception;
    }

    private CommandRunner() {
    }

    /** Creates the folder {@code file} goes into, if missing. */
    static void createParentFolder(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    static int run(PrintWriter err, Work work) {
        CancellationToken cancel = new CancellationToken();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            cancel.cancel();
            try {
                // let the run notice, close its sessions and print its message before the JVM goes
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "sagestudio-cancel");
        boolean hooked = true;
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            hooked = false;
        }
        try {
            work.run(cancel);
            return 0;
        } catch (GenerationCancelledException e) {
            err.println();
            err.println("cancelled: " + e.getMessage());
            return 130;
        } catch (IllegalArgumentException | BundleException e) {
            err.println();
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println();
            err.println("failed: " + e.getMessage());
            return 1;
        } finally {
            err.flush();
            finished.countDown();
            if (hooked) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it is waiting for us and will now return
                }
            }
        }
    }
}
