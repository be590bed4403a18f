package dev.sagestudio.app.service;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Shows a file's folder in the desktop's file manager. */
@FunctionalInterface
public interface FileReveal {

    void reveal(Path file) throws IOException;

    /** Through {@code xdg-open} on the file's folder (Linux desktops); says where the file is when that fails. */
    static FileReveal xdgOpen() {
        return file -> {
            Path folder = file.toAbsolutePath().getParent();
            try {
                Process p = new ProcessBuilder("xdg-open", folder.toString()).redirectErrorStream(true).start();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() != 0) {
                    throw new IOException("xdg-open exited with " + p.exitValue());
                }
            } catch (IOException e) {
                throw new IOException("no file manager could be opened (" + e.getMessage() + "); the file is " + file,
                        e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while opening " + folder, e);
            }
        };
    }
}
