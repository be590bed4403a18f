package dev.sagestudio.app.cli;

import dev.sagestudio.models.output.AtomicFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child JVM for {@link SignalExitStatusTest}: runs a "generation" through {@link CommandRunner} that writes
 * {@code args[1]} and says on stdout where it is ("writing", "wrote"), pausing there so that the test can send SIGINT
 * at that point. {@code args[0]}: "during-write" pauses inside the writer, "after-write" after the file replaced the
 * target.
 */
final class SignalProbe {

    private SignalProbe() {
    }

    public static void main(String[] args) {
        boolean duringWrite = args[0].equals("during-write");
        Path target = Path.of(args[1]);
        PrintWriter err = new PrintWriter(System.err, true);
        int status = CommandRunner.run(err, cancel -> {
            AtomicFiles.write(target, tmp -> {
                Files.writeString(tmp, "new picture");
                if (duringWrite) {
                    System.out.println("writing");
                    pause();
                }
            }, () -> cancel.checkBeforeWrite(1));
            System.out.println("wrote " + target);
            if (!duringWrite) {
                pause();
            }
        });
        System.exit(status);
    }

    private static void pause() {
        System.out.flush();
        try {
            Thread.sleep(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
