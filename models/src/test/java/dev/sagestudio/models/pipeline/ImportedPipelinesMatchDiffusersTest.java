package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bundles that models/import/sagestudio_import.py wrote from small random-initialised diffusers pipelines, made by
 * models/import/check_import.py on the GPU machine's CPU with PyTorch's outputs in {@code reference/}:
 * <ul>
 *   <li>every captured denoiser call, replayed through SageStudio's denoiser with each CPU attention backend, gives
 *       PyTorch's model output;</li>
 *   <li>where the reference holds the diffusers pipeline's whole run (check_import.py's newer bundles), our pipeline
 *       from the same seed (so the same initial latents: {@code SeededNoise}), prompt, steps and guidance gives the
 *       image or clip the diffusers pipeline gave, within 40 dB PSNR.</li>
 * </ul>
 * Committed under {@code bundles/imported-random/}: PixArt-Σ (2 blocks, head dim 72 padded to 128, 64×64) from the
 * real-shape run of 2026-12-06 with one captured call (its {@code reference/sampling.json} says where it came from).
 */
class ImportedPipelinesMatchDiffusersTest {

    /** The committed bundles; {@code -Dsagestudio.importedBundles=DIR} runs the same check on other ones. */
    static final Path FIXTURES = Path.of(System.getProperty("sagestudio.importedBundles",
            "src/test/resources/bundles/imported-random"));
    static final double MIN_PSNR_DB = 40;
    static final ObjectMapper JSON = new ObjectMapper();
    static OrtRuntime cpu;

    @BeforeAll
    static void open() {
        cpu = OrtRuntime.cpu(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** The bundles under {@link #FIXTURES} whose reference holds {@code key} under {@code files}. */
    static List<String> bundlesWith(String key) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(FIXTURES)) {
            for (Path dir : dirs.sorted().toList()) {
                Path run = dir.resolve("reference/sampling.json");
                if (Files.isRegularFile(run) && JSON.readTree(run.toFile()).at("/files").has(key)) {
                    names.add(dir.getFileName().toString());
                }
            }
        }
        return names;
    }

    /**
     * The diffusers pipeline's run, reproduced by ours from the same seed. Only check_import.py's newer bundles hold a
     * run ({@code files.image}); none is committed yet (see models/bench/results/import-check.md), so this runs where
     * {@code -Dsagestudio.importedBundles} names a folder of them and is skipped otherwise.
     */
    @Test
    void reproducesTheDiffusersPipelinesOutputFromTheSameSeed() throws Exception {
        List<String> names = bundlesWith("image");
        assumeFalse(names.isEmpty(), "no bundle with a diffusers run under " + FIXTURES);
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            for (String backend : List.of("cpu-reference", "onnxruntime")) {
                double psnr = reproduce(FIXTURES.resolve(name), backend);
                if (!(psnr >= MIN_PSNR_DB)) {
                    failures.add(name + " with " + backend + ": PSNR " + psnr + " dB");
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** PSNR of our pipeline's output against the diffusers pipeline's, from the run's seed, prompt and settings. */
    static double reproduce(Path dir, String backend) throws Exception {
        JsonNode run = JSON.readTree(dir.resolve("reference/sampling.json").toFile());
        ModelBundle bundle = ModelBundle.load(dir);
        GenerationRequest request = GenerationRequest.of(run.get("prompt").asText(), run.get("seed").asLong())
                .withSteps(run.get("steps").asInt())
                .withGuidance(run.get("guidanceScale").asDouble())
                .withNegativePrompt(run.get("negativePrompt").asText());
        GenerationResult result;
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, AttentionResolver.resolve(backend, false),
                cpu)) {
            result = pipeline.generate(request);
        }
        JsonNode image = run.at("/files/image");
        float[] expected = toChannelsFirst(readFloats(dir.resolve("reference").resolve(image.get("file").asText())),
                image.get("shape"), run.get("imageLayout").asText());
        assertEquals(expected.length, result.output().length, "output size");
        // diffusers' image is in [0, 1]; ours in the bundle's value range, mapped the same way as to pixels
        ImageMetrics m = ImageMetrics.compare(result.output(), unitToRange(expected, result), result.frames(),
                result.height(), result.width(), result.valueLow(), result.valueHigh());
        System.out.printf("%s with %s: PSNR %.1f dB, SSIM %.4f against the diffusers pipeline%n", dir.getFileName(),
                backend, m.psnr(), m.ssim());
        return m.psnr();
    }

    /**
     * Where each pipeline's captured call holds the denoiser's inputs (check_import.py names positional arguments argN
     * and keyword arguments by name; the pipelines call their models differently).
     */
    static final List<String> SAMPLE_KEYS = List.of("hidden_states", "arg0");
    static final List<String> TIMESTEP_KEYS = List.of("timestep", "arg1");
    static final List<String> POOLED_KEYS = List.of("pooled_projections", "added_cond_kwargs.text_embeds");

    /** Backends of the call replay, with the cosine each must reach against PyTorch's output. */
    static Stream<Arguments> bundlesAndDenoiserBackends() throws IOException {
        List<String> names = bundlesWith("calls");
        assertFalse(names.isEmpty(), "no imported bundle with captured denoiser calls under " + FIXTURES);
        return names.stream().flatMap(name -> Stream.of(
                Arguments.of(name, "cpu-reference", 0.9999),
                Arguments.of(name, "onnxruntime", 0.9999),
                // the int8 emulator's bound, as in DecomposedAttentionGraphsTest (int8 Q and K quantisation error)
                Arguments.of(name, "cpu-sage-int8-fp16", 0.999)));
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("bundlesAndDenoiserBackends")
    void everyCapturedDenoiserCallGivesPyTorchsOutput(String name, String backend, double minCosine) throws Exception {
        Path dir = FIXTURES.resolve(name);
        Path reference = dir.resolve("reference");
        JsonNode run = JSON.readTree(reference.resolve("sampling.json").toFile());
        double worst = 1;
        int rowsChecked = 0;
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(ModelBundle.load(dir),
                AttentionResolver.resolve(backend, false), cpu)) {
            Denoiser denoiser = pipeline.denoiser();
            int n = denoiser.sampleSize();
            for (JsonNode call : run.at("/files/calls")) {
                float[] samples = read(reference, pick(call, SAMPLE_KEYS));
                float[] timesteps = read(reference, pick(call, TIMESTEP_KEYS));
                JsonNode text = call.get("encoder_hidden_states");
                float[] states = read(reference, text);
                JsonNode pooledFile = pickOrNull(call, POOLED_KEYS);
                float[] pooled = pooledFile == null ? null : read(reference, pooledFile);
                float[] expected = read(reference, call.get("output"));
                int rows = text.get("shape").get(0).asInt();
                int length = text.get("shape").get(1).asInt();
                int width = text.get("shape").get(2).asInt();
                int outPerRow = expected.length / rows;
                for (int r = 0; r < rows; r++) {
                    // with guidance the pipeline repeats one sample and timestep over the batch; one value serves all
                    float[] sample = samples.length == n ? samples : Arrays.copyOfRange(samples, r * n, (r + 1) * n);
                    float timestep = timesteps[timesteps.length == rows ? r : 0];
                    float[] rowPooled = pooled == null ? null
                            : Arrays.copyOfRange(pooled, r * pooled.length / rows, (r + 1) * pooled.length / rows);
                    TextCondition context = new TextCondition(Arrays.copyOfRange(states, r * length * width,
                            (r + 1) * length * width), length, width, rowPooled);
                    float[] got = denoiser.predict(sample, timestep, List.of(context), () -> { }).outputs().get(0);
                    // PixArt's transformer also outputs the learned variance; the bundle's denoiser drops it
                    worst = Math.min(worst, cosine(got, Arrays.copyOfRange(expected, r * outPerRow, r * outPerRow + n)));
                    rowsChecked++;
                }
            }
        }
        System.out.printf("%s with %s: %d denoiser calls, worst cosine %.8f (1 - cosine %.1e) against PyTorch%n",
                name, backend, rowsChecked, worst, 1 - worst);
        assertTrue(rowsChecked > 0, name + ": no captured denoiser call");
        assertTrue(worst >= minCosine, name + " with " + backend + ": cosine " + worst);
    }

    private static float[] read(Path reference, JsonNode file) throws IOException {
        return readFloats(reference.resolve(file.get("file").asText()));
    }

    private static JsonNode pick(JsonNode call, List<String> keys) {
        JsonNode found = pickOrNull(call, keys);
        if (found == null) {
            throw new IllegalStateException("none of " + keys + " in the captured call " + call.fieldNames());
        }
        return found;
    }

    private static JsonNode pickOrNull(JsonNode call, List<String> keys) {
        for (String k : keys) {
            if (call.has(k)) {
                return call.get(k);
            }
        }
        return null;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Raw little-endian float32, as check_import.py writes them. */
    static float[] readFloats(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    /**
     * diffusers' layout to ours: images {@code [1, 3, H, W]} are the same; videos come as {@code [1, F, 3, H, W]}
     * and SageStudio's output is {@code [3, F, H, W]}.
     */
    static float[] toChannelsFirst(float[] values, JsonNode shape, String layout) {
        if (!layout.startsWith("[B, F,")) {
            return values;
        }
        int frames = shape.get(1).asInt();
        int plane = shape.get(3).asInt() * shape.get(4).asInt();
        float[] out = new float[values.length];
        for (int f = 0; f < frames; f++) {
            for (int c = 0; c < 3; c++) {
                System.arraycopy(values, (f * 3 + c) * plane, out, (c * frames + f) * plane, plane);
            }
        }
        return out;
    }

    private static float[] unitToRange(float[] unit, GenerationResult result) {
        double lo = result.valueLow();
        double span = result.valueHigh() - lo;
        float[] out = new float[unit.length];
        for (int i = 0; i < unit.length; i++) {
            out[i] = (float) (lo + span * unit[i]);
        }
        return out;
    }
}
