package dev.sagestudio.models.bundle;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.tokenizer.PromptTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The bundles shipped in models/bundled/ follow docs/model-bundle.md, say how they were trained, fit the 40 MiB
 * budget together and their tokenizer works. Skips, saying so, while no bundle has been committed.
 */
class BundledModelsTest {

    static final Path BUNDLED = Path.of(System.getProperty("user.dir")).resolve("bundled");
    static final long BUDGET = 40L << 20;

    private static List<Path> bundles() throws IOException {
        if (!Files.isDirectory(BUNDLED)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(BUNDLED)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.json"))).sorted().toList();
        }
    }

    @Test
    void everyBundledModelLoadsAndTokenizes() throws Exception {
        List<Path> bundles = bundles();
        if (bundles.isEmpty()) {
            System.out.println("SKIPPED: no bundle with a model.json under " + BUNDLED + " yet");
        }
        Assumptions.assumeFalse(bundles.isEmpty(), "no bundled models yet");
        for (Path dir : bundles) {
            ModelBundle bundle = ModelBundle.load(dir);
            assertNotNull(bundle.spec().training(), dir + ": a bundled model must say how it was trained");
            try (var tok = PromptTokenizer.forBundle(bundle)) {
                var tokens = tok.encode("a pizza spinning, twemoji style");
                assertTrue(tokens.length() > 0, dir + ": the tokenizer produced no tokens");
            }
        }
    }

    @Test
    void allBundledFilesTogetherFitTheBudget() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(BUNDLED), "no models/bundled folder yet");
        long total;
        try (Stream<Path> s = Files.walk(BUNDLED)) {
            total = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(total <= BUDGET, "bundled files take " + total + " bytes, over the budget of " + BUDGET);
    }
}
