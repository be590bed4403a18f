package dev.sagestudio.app.doctor;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Loads a shared library by its file name through the dynamic loader ({@code dlopen}, the same search ONNX Runtime's
 * CUDA EP gets: {@code LD_LIBRARY_PATH}, the ld.so cache, the default folders) and says where it came from; when it
 * does not load, it also looks in the usual CUDA folders so the answer can say "there, but not on the library path".
 */
public final class LibraryLookup {

    /** Folders NVIDIA's installers put CUDA and cuDNN libraries in. */
    static final List<Path> USUAL_FOLDERS = List.of(Path.of("/usr/local/cuda/lib64"),
            Path.of("/usr/local/cuda/targets/x86_64-linux/lib"), Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/usr/lib64"));

    /**
     * The answer for one library.
     *
     * @param loaded whether it loaded
     * @param detail the file it was loaded from, or why it was not and where it was seen
     */
    public record Result(boolean loaded, String detail) {
    }

    private LibraryLookup() {
    }

    public static Result find(String soname) {
        try {
            NativeLibrary.getInstance(soname);
            return new Result(true, mappedFile(soname).orElse("loaded (" + soname + ")"));
        } catch (UnsatisfiedLinkError e) {
            List<String> seen = new ArrayList<>();
            for (Path folder : usualFolders()) {
                if (Files.exists(folder.resolve(soname))) {
                    seen.add(folder.resolve(soname).toString());
                }
            }
            String where = seen.isEmpty() ? "" : "; present at " + String.join(", ", seen)
                    + " but the loader does not find it there (add that folder to LD_LIBRARY_PATH or run ldconfig)";
            return new Result(false, "not found by the dynamic loader" + dlopenReason(e, soname) + where);
        }
    }

    private static List<Path> usualFolders() {
        List<Path> folders = new ArrayList<>(USUAL_FOLDERS);
        try (Stream<Path> versions = Files.list(Path.of("/usr/local"))) {
            versions.filter(p -> p.getFileName().toString().startsWith("cuda-")).sorted()
                    .forEach(p -> folders.add(p.resolve("lib64")));
        } catch (IOException | SecurityException ignored) {
            // no /usr/local: only the fixed folders
        }
        return folders;
    }

    /** dlopen's own words when they are about something other than the file itself (e.g. a missing dependency). */
    private static String dlopenReason(UnsatisfiedLinkError e, String soname) {
        String message = String.valueOf(e.getMessage());
        for (String line : message.split("\n")) {
            if (line.contains(".so") && !line.contains(soname + ": cannot open shared object file")
                    && line.contains("cannot open shared object file")) {
                return " (" + line.trim() + ")";
            }
        }
        return "";
    }

    /** The path the library was mapped from, read from /proc/self/maps. */
    static Optional<String> mappedFile(String soname) {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.map(line -> line.substring(line.indexOf('/') < 0 ? line.length() : line.indexOf('/')))
                    .filter(path -> path.endsWith("/" + soname) || path.contains("/" + soname + "."))
                    .findFirst();
        } catch (IOException | SecurityException | java.io.UncheckedIOException e) {
            return Optional.empty();
        }
    }
}
