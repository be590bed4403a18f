package dev.sagestudio.models.output;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new one: the content goes to a
 * temporary file in the same folder ({@code .NAME.<pid>-<random>.partial}, see {@link OutputTarget} for how stale
 * ones are cleaned up), is flushed to disk, then renamed over the target with ATOMIC_MOVE.
 * If writing fails at any point the temporary file is removed, an existing target is left as it was, and the
 * exception says which file could not be written and why (e.g. "No space left on device").
 *
 * <p>The new file gets the existing target's permissions, or, for a new file, the permissions the umask gives
 * (the temporary file is created without explicit permissions). A symbolic link as target is written through:
 * the file it points to is replaced and the link stays ({@link OutputTarget#resolve}).
 */
public final class AtomicFiles {

    /** Suffix of our temporary files. */
    static final String PARTIAL = ".partial";

    private AtomicFiles() {
    }

    /** Writes the complete content to the given (temporary) path. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(Path temporary) throws IOException;
    }

    /**
     * Runs just before the complete temporary file replaces the target; throwing (e.g. because the run was
     * cancelled meanwhile) removes the temporary file and leaves the target untouched.
     */
    @FunctionalInterface
    public interface CommitGate {
        CommitGate ALWAYS = () -> { };

        void beforeCommit() throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        write(target, writer, CommitGate.ALWAYS);
    }

    public static void write(Path target, Writer writer, CommitGate gate) throws IOException {
        Path absolute = OutputTarget.resolve(target);
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": folder " + dir + " does not exist");
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException("cannot write " + target + ": it is a folder");
        }
        Path temporary;
        try {
            temporary = Files.createFile(dir.resolve(partialName(absolute.getFileName().toString())));
        } catch (IOException e) {
            throw failure(target, e);
        }
        try {
            writer.writeTo(temporary);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            keepPermissions(absolute, temporary);
            gate.beforeCommit();
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException io) {
                throw failure(target, io);
            }
            throw e;
        }
    }

    /** {@code .NAME.<pid>-<16 hex digits>.partial}: the pid lets a later run tell a dead writer's leftovers. */
    static String partialName(String fileName) {
        return "." + fileName + "." + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + PARTIAL;
    }

    private static void keepPermissions(Path target, Path temporary) throws IOException {
        PosixFileAttributeView from = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        if (from != null && Files.isRegularFile(target)) {
            Files.getFileAttributeView(temporary, PosixFileAttributeView.class)
                    .setPermissions(from.readAttributes().permissions());
        }
    }

    /** "cannot write TARGET: REASON" with the reason the file system gave, keeping {@code e} as the cause. */
    static IOException failure(Path target, IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot write ")) {
            return e;
        }
        return new IOException("cannot write " + target + ": " + reason(e), e);
    }

    /**
     * The file system's reason in words (Java's own message of these exceptions is only the path), followed by the
     * reasons of the causes that add something: encoders wrap "No space left on device" in their own message.
     */
    static String reason(IOException e) {
        StringBuilder sb = new StringBuilder(ownReason(e));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof IOException io && !sb.toString().contains(ownReason(io))) {
                sb.append(": ").append(ownReason(io));
            }
        }
        return sb.toString();
    }

    private static String ownReason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder"; // the path is the target's or our temporary file's: no news
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
