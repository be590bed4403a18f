package dev.sagestudio.models.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Resolves a relative path written in a bundle (model.json fields, ONNX external-data locations) to a
 * file that is guaranteed to lie inside the bundle folder, symbolic links followed.
 */
public final class BundlePaths {

    private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");

    private BundlePaths() {
    }

    /** Same as {@link #resolveInside(Path, Path, String, long)} relative to the bundle folder itself. */
    public static Path resolveInside(Path bundleRoot, String relative, long maxBytes) throws PathException {
        return resolveInside(bundleRoot, bundleRoot, relative, maxBytes);
    }

    /**
     * The real path of the regular file {@code relative} (written with '/') under {@code base}, which
     * must itself be inside {@code bundleRoot}. Refuses absolute paths, drive letters, backslashes,
     * '..' and empty segments, files whose real location (after symlinks) is outside the bundle,
     * missing files, non-regular files and files larger than {@code maxBytes}.
     * The ONNX loader calls this for each external-data location with {@code base} = the ONNX file's folder.
     */
    public static Path resolveInside(Path bundleRoot, Path base, String relative, long maxBytes)
            throws PathException {
        if (relative == null || relative.isEmpty()) {
            throw new PathException("path is empty");
        }
        if (relative.startsWith("/") || DRIVE.matcher(relative).matches()) {
            throw new PathException("'" + relative + "' is absolute; paths must be relative to the bundle folder");
        }
        if (relative.indexOf('\\') >= 0) {
            throw new PathException("'" + relative + "' contains a backslash; write paths with '/'");
        }
        if (relative.indexOf('\0') >= 0) {
            throw new PathException("path contains a NUL character");
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.equals("..")) {
                throw new PathException("'" + relative + "' contains '..'; paths must stay inside the bundle folder");
            }
            if (segment.isEmpty() || segment.equals(".")) {
                throw new PathException("'" + relative + "' has an empty or '.' segment");
            }
        }
        Path root;
        Path real;
        try {
            root = bundleRoot.toRealPath();
            real = base.resolve(relative).toRealPath();
        } catch (NoSuchFileException e) {
            throw new PathException("'" + relative + "' does not exist");
        } catch (IOException e) {
            throw new PathException("'" + relative + "' cannot be read: " + e);
        }
        if (!real.startsWith(root)) {
            throw new PathException("'" + relative + "' leads outside the bundle folder (to " + real
                    + "), through a symbolic link");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new PathException("'" + relative + "' is not a regular file");
        }
        long size;
        try {
            size = Files.size(real);
        } catch (IOException e) {
            throw new PathException("'" + relative + "' cannot be read: " + e);
        }
        if (size > maxBytes) {
            throw new PathException("'" + relative + "' is " + size + " bytes, more than the limit of " + maxBytes);
        }
        return real;
    }

    /** A path that may not be used; the message says why. */
    public static final class PathException extends Exception {
        public PathException(String message) {
            super(message);
        }
    }
}
