package dev.sagestudio.app.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One folder, reused by every run, for the native libraries that the jars unpack on first use (ONNX Runtime through
 * JavaCPP, about 350 MB; the tokenizer's library through DJL): {@code $XDG_CACHE_HOME/sagestudio}, else
 * {@code ~/.cache/sagestudio}, and where the home folder is not writable
 * {@code <java.io.tmpdir>/sagestudio-<user>-cache} — a fixed name, so that a second run finds what the first one
 * unpacked instead of unpacking again. A setting the user made (system property or environment variable) wins.
 */
public final class NativeCache {

    /** JavaCPP's cache folder property (ONNX Runtime's natives). */
    static final String JAVACPP = "org.bytedeco.javacpp.cachedir";
    /** DJL's cache folder setting (the tokenizers library), read as a system property or environment variable. */
    static final String DJL = "ENGINE_CACHE_DIR";

    private NativeCache() {
    }

    /** Sets the cache properties that are not set yet; returns the folder chosen. */
    public static Path configure() {
        Path folder = folder(System::getenv, System.getProperty("user.home"), System.getProperty("java.io.tmpdir"),
                System.getProperty("user.name"));
        settings(folder).forEach((key, value) -> {
            if (System.getProperty(key) == null && System.getenv(key) == null) {
                System.setProperty(key, value);
            }
        });
        return folder;
    }

    static Map<String, String> settings(Path folder) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(JAVACPP, folder.resolve("javacpp").toString());
        s.put(DJL, folder.resolve("djl").toString());
        return s;
    }

    static Path folder(UnaryOperator<String> env, String home, String tmp, String user) {
        Optional<Path> xdg = Optional.ofNullable(env.apply("XDG_CACHE_HOME")).filter(v -> !v.isBlank()).map(Path::of)
                .filter(Path::isAbsolute);
        Optional<Path> preferred = xdg.or(() -> Optional.ofNullable(home).filter(h -> !h.isBlank() && !h.equals("?"))
                .map(h -> Path.of(h, ".cache")));
        if (preferred.isPresent() && writable(preferred.get().resolve("sagestudio"))) {
            return preferred.get().resolve("sagestudio");
        }
        String who = user == null || user.isBlank() ? "user" : user.replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(tmp).resolve("sagestudio-" + who + "-cache");
    }

    /** Whether {@code folder} exists or can be created, and takes new files. */
    private static boolean writable(Path folder) {
        try {
            Files.createDirectories(folder);
            return Files.isWritable(folder);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
