package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.fidelity.NonFinite;
import dev.sagestudio.models.fidelity.NonFiniteOutputException;

import dev.sagestudio.models.onnx.OnnxModelException;
import dev.sagestudio.models.runtime.AttentionStepException;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates a valid bundle thousands of times — model.json fields, tokenizer.json, the ONNX files' bytes — and loads
 * and runs each: every case must end in a clear error (a known exception type with a message) or a finite output,
 * never a JVM crash (the surefire fork would die), a hang (each case has 20 s) or a file written outside the case's
 * folders. Deterministic (fixed seed); at least 1000 cases, then until {@code -Dsagestudio.fuzz.seconds} (default 40) have passed.
 */
class BundleFuzzTest {

    static final long SEED = Long.getLong("sagestudio.fuzz.seed", 20261206L);
    static final int SECONDS = Integer.getInteger("sagestudio.fuzz.seconds", 40);
    static final int MIN_CASES = 1000;
    static final ObjectMapper JSON = new ObjectMapper();

    /** What a clear error is: our exceptions, and the standard ones our code throws with a message on purpose. */
    static final List<Class<? extends Throwable>> CLEAR = List.of(BundleException.class,
            IllegalArgumentException.class, IOException.class, UncheckedIOException.class, OnnxModelException.class,
            OrtRuntimeException.class, NonFiniteOutputException.class, UnsupportedAttentionException.class,
            AttentionStepException.class);

    @TempDir
    Path root;

    @Test
    void everyMutatedBundleEndsInAClearErrorOrAFiniteOutput() throws Exception {
        Path pristine = TinyBundle.image(root.resolve("pristine"), false);
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(pristine)) {
            for (Path p : s.toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        Path caseDir = root.resolve("case");
        Path out = Files.createDirectories(root.resolve("out"));
        Random random = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> unclear = new ArrayList<>();
        ExecutorService worker = Executors.newSingleThreadExecutor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int cases = 0;
        try (OrtRuntime cpu = OrtRuntime.cpu(1)) {
            while (System.nanoTime() < deadline || cases < MIN_CASES) {
                Map<String, byte[]> mutated = new LinkedHashMap<>(files);
                String mutation = mutate(mutated, random);
                writeCase(caseDir, mutated);
                int index = cases++;
                Future<String> run = worker.submit(() -> runCase(caseDir, out, cpu, index));
                String outcome;
                try {
                    outcome = run.get(20, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    run.cancel(true);
                    throw new AssertionError("case " + index + " (" + mutation + ") did not finish in 20 s");
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable t = e.getCause();
                    outcome = "unclear " + t.getClass().getSimpleName();
                    if (unclear.size() < 10) {
                        unclear.add(mutation + " -> " + t);
                    }
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.printf(Locale.ROOT, "fuzz: %d cases in %d s (seed %d): %s%n", cases, SECONDS, SEED, outcomes);
        assertTrue(unclear.isEmpty(), "cases without a clear error:\n" + String.join("\n", unclear));
        try (Stream<Path> s = Files.list(root)) {
            assertEquals(List.of("case", "out", "pristine"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "nothing written beside the case folders");
        }
        assertTrue(cases >= MIN_CASES);
    }

    /** Loads and, if it loads, generates one step; returns the kind of outcome, or throws what was not clear. */
    private static String runCase(Path caseDir, Path out, OrtRuntime cpu, int index) throws Exception {
        try {
            ModelBundle bundle = ModelBundle.load(caseDir);
            String backend = index % 2 == 0 ? "cpu-reference" : AttentionChoice.ONNX_RUNTIME;
            try (DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, AttentionResolver.resolve(backend, false),
                    cpu)) {
                GenerationResult result = pipeline.generate(GenerationRequest.of("a red heart", index).withSteps(1)
                        .withGuidance(1.0));
                if (NonFinite.firstIndex(result.output()) >= 0) {
                    throw new AssertionError("a non-finite output passed as a result");
                }
                dev.sagestudio.models.output.GenerationOutput.write(result, out.resolve("case.png"));
                return "generated";
            }
        } catch (Exception e) {
            if (CLEAR.stream().anyMatch(c -> c.isInstance(e)) && e.getMessage() != null && !e.getMessage().isBlank()
                    && !e.getMessage().contains("java.lang.")) {
                return e.getClass().getSimpleName();
            }
            throw e;
        }
    }

    private static void writeCase(Path caseDir, Map<String, byte[]> files) throws IOException {
        if (Files.exists(caseDir)) {
            try (Stream<Path> s = Files.walk(caseDir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(caseDir);
        for (var e : files.entrySet()) {
            Files.write(caseDir.resolve(e.getKey()), e.getValue());
        }
    }

    /** Applies one random mutation; returns what it did. */
    static String mutate(Map<String, byte[]> files, Random random) throws IOException {
        int kind = random.nextInt(20);
        if (kind < 12) {
            return mutateJson(files, "model.json", random);
        }
        if (kind < 14) {
            return random.nextBoolean() ? mutateJson(files, "tokenizer.json", random)
                    : flipBytes(files, "tokenizer.json", random);
        }
        String onnx = random.nextBoolean() ? "denoiser.onnx" : "text_encoder.onnx";
        return random.nextInt(4) == 0 ? truncate(files, onnx, random) : flipBytes(files, onnx, random);
    }

    private static String mutateJson(Map<String, byte[]> files, String file, Random random) throws IOException {
        JsonNode tree = JSON.readTree(files.get(file));
        List<String> pointers = new ArrayList<>();
        collect(tree, "", pointers);
        String pointer = pointers.get(random.nextInt(pointers.size()));
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = tree.at(pointer.substring(0, slash));
        String key = pointer.substring(slash + 1);
        JsonNode value = randomValue(random);
        String what;
        if (parent instanceof ObjectNode o) {
            if (random.nextInt(4) == 0) {
                o.remove(key);
                what = "removed";
            } else {
                o.set(key, value);
                what = "set to " + value;
            }
        } else if (parent instanceof ArrayNode a) {
            int i = Integer.parseInt(key);
            if (random.nextInt(4) == 0) {
                a.remove(i);
                what = "removed";
            } else {
                a.set(i, value);
                what = "set to " + value;
            }
        } else {
            return file + ": unchanged";
        }
        files.put(file, JSON.writeValueAsBytes(tree));
        return file + " " + pointer + " " + (what.length() > 80 ? what.substring(0, 80) + "…" : what);
    }

    private static void collect(JsonNode node, String at, List<String> pointers) {
        if (!at.isEmpty()) {
            pointers.add(at);
        }
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> collect(e.getValue(), at + "/" + e.getKey().replace("~", "~0")
                    .replace("/", "~1"), pointers));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collect(node.get(i), at + "/" + i, pointers);
            }
        }
    }

    private static JsonNode randomValue(Random random) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (random.nextInt(16)) {
            case 0 -> f.nullNode();
            case 1 -> f.numberNode(-1);
            case 2 -> f.numberNode(0);
            case 3 -> f.numberNode(Integer.MAX_VALUE);
            case 4 -> f.numberNode(Long.MAX_VALUE);
            case 5 -> f.numberNode(1e308);
            case 6 -> f.numberNode(random.nextInt(4097));
            case 7 -> f.numberNode(2.5);
            case 8 -> f.textNode("");
            case 9 -> f.textNode("../../outside.onnx");
            case 10 -> f.textNode("/etc/passwd");
            case 11 -> f.textNode("x".repeat(random.nextInt(100_000)));
            case 12 -> f.booleanNode(random.nextBoolean());
            case 13 -> f.arrayNode().add(1).add("B").add(-7);
            case 14 -> f.objectNode().put("name", "sample");
            default -> f.textNode("\u0000\u001b[31m🍕");
        };
    }

    private static String flipBytes(Map<String, byte[]> files, String file, Random random) {
        byte[] b = files.get(file).clone();
        int flips = 1 + random.nextInt(16);
        for (int i = 0; i < flips; i++) {
            int at = random.nextInt(b.length);
            b[at] ^= (byte) (1 << random.nextInt(8));
        }
        files.put(file, b);
        return file + ": " + flips + " bit flips";
    }

    private static String truncate(Map<String, byte[]> files, String file, Random random) {
        byte[] b = files.get(file);
        int keep = random.nextInt(b.length);
        files.put(file, java.util.Arrays.copyOf(b, keep));
        return file + ": truncated to " + keep + " of " + b.length + " bytes";
    }
}
