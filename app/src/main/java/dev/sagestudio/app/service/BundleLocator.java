package dev.sagestudio.app.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds model bundles: a folder given on the command line, or a bundle of {@code models/bundled/} by name. The
 * installation's {@code models/bundled} is looked for in, in order: the {@code sagestudio.home} system property (the
 * launcher sets it), the {@code SAGESTUDIO_HOME} environment variable, the folders above the running jar or classes,
 * and the folders above the working directory.
 */
public final class BundleLocator {
    /** The bundled model {@code generate} and {@code compare} use when none is named. */
    public static final String DEFAULT_IMAGE_MODEL = "sage-emoji-t2i";
    static final String BUNDLED = "models/bundled";

    private BundleLocator() {
    }

    /**
     * The bundle folder for {@code model}: an existing folder path, or the name of a bundled model; null for the
     * default image model. Throws with a message saying where it looked.
     */
    public static Path resolve(String model) {
        if (model != null) {
            Path asPath = Path.of(model);
            if (Files.isDirectory(asPath)) {
                return asPath;
            }
            if (Files.exists(asPath)) {
                throw new IllegalArgumentException("model " + asPath.toAbsolutePath() + " is not a folder (a bundle is"
                        + " a folder holding model.json, see docs/model-bundle.md)");
            }
            if (model.contains("/") || model.contains("\\")) {
                throw new IllegalArgumentException("model folder " + asPath.toAbsolutePath() + " does not exist");
            }
        }
        String name = model == null ? DEFAULT_IMAGE_MODEL : model;
        List<Path> searched = new ArrayList<>();
        Set<String> available = new TreeSet<>();
        for (Path root : candidateRoots()) {
            Path bundled = root.resolve(BUNDLED);
            if (Files.isDirectory(bundled.resolve(name))) {
                return bundled.resolve(name);
            }
            if (Files.isDirectory(bundled)) {
                searched.add(bundled);
                available.addAll(bundleNames(bundled));
            }
        }
        String what = model == null ? "the default image model '" + name + "'" : "no model folder or bundled model '"
                + name + "'";
        if (searched.isEmpty()) {
            throw new IllegalArgumentException((model == null ? "cannot find " : "") + what + ": no models/bundled"
                    + " folder found (looked above " + Path.of("").toAbsolutePath() + " and the program's folder);"
                    + " pass --model <bundle folder> (a folder with model.json, see docs/model-bundle.md), or set"
                    + " SAGESTUDIO_HOME to the installation folder");
        }
        throw new IllegalArgumentException((model == null ? "cannot find " : "") + what + "; bundled models: "
                + (available.isEmpty() ? "none" : String.join(", ", available)) + " (in " + searched.get(0)
                + (searched.size() > 1 ? " and " + (searched.size() - 1) + " more folder(s)" : "")
                + "); or pass --model <bundle folder> (a folder with model.json, see docs/model-bundle.md)");
    }

    /** The folders in {@code bundled} that hold a model.json. */
    private static List<String> bundleNames(Path bundled) {
        try (Stream<Path> entries = Files.list(bundled)) {
            return entries.filter(p -> Files.isRegularFile(p.resolve("model.json")))
                    .map(p -> p.getFileName().toString()).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    /**
     * The bundle folders of the first {@code models/bundled} found (in the order of {@link #candidateRoots()}),
     * sorted by name; empty when there is none.
     */
    public static List<Path> bundledModelFolders() {
        for (Path root : candidateRoots()) {
            Path bundled = root.resolve(BUNDLED);
            if (Files.isDirectory(bundled)) {
                try (var children = Files.list(bundled)) {
                    return children.filter(f -> Files.isRegularFile(f.resolve("model.json"))).sorted().toList();
                } catch (IOException e) {
                    return List.of();
                }
            }
        }
        return List.of();
    }

    /** Where bundled models are looked for, in order (the installation, then the working folder and its parents). */
    public static List<Path> candidateRoots() {
        Set<Path> roots = new LinkedHashSet<>();
        Optional.ofNullable(System.getProperty("sagestudio.home")).map(Path::of).ifPresent(roots::add);
        Optional.ofNullable(System.getenv("SAGESTUDIO_HOME")).map(Path::of).ifPresent(roots::add);
        try {
            var source = BundleLocator.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                addParents(roots, Path.of(source.getLocation().toURI()));
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException ignored) {
            // no usable code location: the other places still count
        }
        addParents(roots, Path.of("").toAbsolutePath());
        return new ArrayList<>(roots);
    }

    /** {@code start} and up to four folders above it (app/target/app.jar → repository root is three up). */
    private static void addParents(Set<Path> roots, Path start) {
        Path p = start.toAbsolutePath().normalize();
        for (int i = 0; i < 5 && p != null; i++) {
            roots.add(p);
            p = p.getParent();
        }
    }
}
