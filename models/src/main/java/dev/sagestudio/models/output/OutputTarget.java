package dev.sagestudio.models.output;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The output file of a run, checked before any compute so that a run never spends minutes denoising for a file it
 * cannot write: the folder is created if missing and must accept a new file (probed by creating and removing one of
 * our temporary files), the target must not be a folder or a special file (FIFO, device, socket).
 *
 * <p>Symbolic link rule: a link as target is followed (up to 40 links) and the file it points to is written; the link
 * itself stays. Leftover temporary files of ours for the same target ({@code .NAME.<pid>-<hex>.partial} whose
 * process is gone, and {@code .NAME.<digits>.partial} of older versions when older than an hour) are removed.
 */
public final class OutputTarget {

    private static final int MAX_LINKS = 40;
    private static final Duration LEGACY_PARTIAL_AGE = Duration.ofHours(1);

    private OutputTarget() {
    }

    /**
     * Checks that {@code target} can be written, creating its folder if missing, and removes stale temporary files
     * of ours next to it.
     *
     * @return the stale temporary files removed
     * @throws IllegalArgumentException saying which path is the problem and why (a bad output path is bad input)
     */
    public static List<Path> check(Path target) {
        try {
            return checkWritable(target);
        } catch (IOException e) {
            throw new IllegalArgumentException(AtomicFiles.failure(target, e).getMessage(), e);
        }
    }

    private static List<Path> checkWritable(Path target) throws IOException {
        Path file = resolve(target);
        Path dir = file.getParent();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + target + ": " + dir + " is not a folder");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw AtomicFiles.failure(target, e);
        }
        if (Files.isDirectory(file)) {
            throw new IOException("cannot write " + target + ": it is a folder");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new IOException("cannot write " + target + ": it is a special file (not a regular file)");
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new IOException("cannot write " + target + ": permission denied");
        }
        List<Path> removed = removeStalePartials(file);
        Path probe = dir.resolve(AtomicFiles.partialName(file.getFileName().toString()));
        try {
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": folder " + dir + " does not accept a new file: "
                    + AtomicFiles.reason(e), e);
        }
        return removed;
    }

    /** The absolute file a write of {@code target} replaces: the target, or the file its symbolic links lead to. */
    public static Path resolve(Path target) throws IOException {
        Path p = target.toAbsolutePath().normalize();
        for (int i = 0; Files.isSymbolicLink(p); i++) {
            if (i == MAX_LINKS) {
                throw new IOException("cannot write " + target + ": more than " + MAX_LINKS + " symbolic links");
            }
            p = p.getParent().resolve(Files.readSymbolicLink(p)).normalize();
        }
        return p;
    }

    /** Removes our temporary files for {@code file} whose writer is gone; returns what was removed. */
    static List<Path> removeStalePartials(Path file) throws IOException {
        Pattern ours = Pattern.compile(Pattern.quote("." + file.getFileName() + ".") + "(?:(\\d{1,18})-[0-9a-f]{16}|(\\d+))"
                + Pattern.quote(AtomicFiles.PARTIAL));
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> entries = Files.list(file.getParent())) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = ours.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && stale(p, m)
                        && Files.deleteIfExists(p)) {
                    removed.add(p);
                }
            }
        }
        return removed;
    }

    private static boolean stale(Path partial, Matcher m) throws IOException {
        if (m.group(1) != null) {
            long pid = Long.parseLong(m.group(1));
            return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        }
        Instant modified = Files.getLastModifiedTime(partial).toInstant();
        return modified.isBefore(Instant.now().minus(LEGACY_PARTIAL_AGE));
    }
}
