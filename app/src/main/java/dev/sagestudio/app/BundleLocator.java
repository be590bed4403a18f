package dev.sagestudio.app;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
            if (model.contains("/") || model.contains("\\")) {
                throw new IllegalArgumentException("model folder " + asPath.toAbsolutePath() + " does not exist");
            }
        }
        String name = model == null ? DEFAULT_IMAGE_MODEL : model;
        List<Path> searched = new ArrayList<>();
        for (Path root : candidateRoots()) {
            Path bundled = root.resolve(BUNDLED);
            searched.add(bundled);
            if (Files.isDirectory(bundled.resolve(name))) {
                return bundled.resolve(name);
            }
        }
        String what = model == null ? "the default image model '" + name + "'" : "no model folder or bundled model '"
                + name + "'";
        throw new IllegalArgumentException((model == null ? "cannot find " : "") + what + " (looked in "
                + searched + "). The bundled models are trained and exported separately (models/training); until they"
                + " are in models/bundled, pass --model <bundle folder> (a folder with model.json, see"
                + " docs/model-bundle.md), or set SAGESTUDIO_HOME to the installation folder");
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

    static List<Path> candidateRoots() {
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
