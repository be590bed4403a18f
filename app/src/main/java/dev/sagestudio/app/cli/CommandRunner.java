package dev.sagestudio.app.cli;

import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.fidelity.NonFiniteOutputException;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationCancelledException;
import dev.sagestudio.models.output.OutputTarget;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a generating command's work with Ctrl-C mapped to cancellation (the run stops within one step and closes its
 * sessions before the JVM exits) and failures turned into one clear line on stderr with an exit status:
 * 0 done (output written), 1 failed, 2 bad input, 3 non-finite output (NaN/Inf; nothing written unless asked),
 * 130 cancelled (nothing written).
 *
 * <p>A signal that arrives once the output has replaced the target cannot undo it: the JVM then exits with the run's
 * own status (0, "wrote" was printed) instead of the signal's 130, so the status always says what happened.
 */
final class CommandRunner {

    @FunctionalInterface
    interface Work {
        void run(CancellationToken cancel) throws Exception;
    }

    private CommandRunner() {
    }

    /** Exit status of a generation whose output holds NaN or Inf. */
    static final int NON_FINITE = 3;
    static final int CANCELLED = 130;

    /**
     * Checks an output path before any compute ({@link OutputTarget#check}: folder made, writable, no folder or
     * special file there) and says which stale partial files of an earlier run it removed.
     */
    static void checkOutput(Path target, PrintWriter err) {
        OutputTarget.check(target).forEach(p -> err.println("removed a stale partial file of an earlier run: " + p));
    }

    static int run(PrintWriter err, Work work) {
        CancellationToken cancel = new CancellationToken();
        CountDownLatch finished = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        Thread hook = new Thread(() -> {
            cancel.cancel();
            try {
                // let the run notice, close its sessions and print its message before the JVM goes
                if (finished.await(30, TimeUnit.SECONDS) && status.get() >= 0 && status.get() != CANCELLED) {
                    // the run completed (e.g. the output was already written): exit with what happened
                    Runtime.getRuntime().halt(status.get());
                }
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
            status.set(outcome(err, work, cancel));
            return status.get();
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

    private static int outcome(PrintWriter err, Work work, CancellationToken cancel) {
        try {
            work.run(cancel);
            return 0;
        } catch (GenerationCancelledException e) {
            err.println();
            err.println("cancelled: " + e.getMessage());
            return CANCELLED;
        } catch (NonFiniteOutputException e) {
            err.println();
            err.println("failed: " + e.getMessage());
            return NON_FINITE;
        } catch (IllegalArgumentException | BundleException e) {
            err.println();
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println();
            err.println("failed: " + e.getMessage());
            return 1;
        }
    }
}
