package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.scheduler.Scheduler;
import dev.sagestudio.models.scheduler.SchedulerConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bundles that models/import/sagestudio_import.py wrote from small random-initialised diffusers pipelines, made by
 * models/import/check_import.py on the GPU machine's CPU with PyTorch's outputs in {@code reference/}
 * ({@code reference/sampling.json} says what each file holds):
 * <ul>
 *   <li>every captured denoiser call, replayed through SageStudio's denoiser with ONNX Runtime alone and with the CPU
 *       counterpart of every GPU attention backend, gives PyTorch's model output;</li>
 *   <li>where the reference holds the diffusers pipeline's whole run (check_import.py's bundles since the SD3, SDXL
 *       and Wan importers), each part of our pipeline is held against it on its own: the bundle's tokenizers, text
 *       encoders and combination rule against the text inputs the pipeline gave its denoiser; the bundle's scheduler,
 *       stepping with diffusers' own model outputs, against diffusers' latents after each step; and then the whole
 *       run: our pipeline from the same seed (so the same initial latents: {@code SeededNoise}), prompt, steps and
 *       guidance gives the image or clip the diffusers pipeline gave, within 40 dB PSNR.</li>
 * </ul>
 * Committed under {@code bundles/imported-random/}: PixArt-Σ (2 blocks, head dim 72 padded to 128, 64×64, DPM-Solver++
 * 2M, 4 steps) with the diffusers pipeline's whole run, from the H100 machine's run of 2026-12-06e
 * (models/bench/results/import-check.md, fourth run). The SD3, SDXL and Wan bundles of that run (3.6–5.1 MB each)
 * are not committed, only their diffusers runs without the graphs, for the scheduler check ({@code
 * bundles/diffusers-runs/}); {@code -Dsagestudio.importedBundles=DIR} runs every check on the whole bundles (the
 * unpacked {@code *-bundle.tgz}).
 */
class ImportedPipelinesMatchDiffusersTest {

    /** The committed bundles; {@code -Dsagestudio.importedBundles=DIR} runs the same check on other ones. */
    static final Path FIXTURES = Path.of(System.getProperty("sagestudio.importedBundles",
            "src/test/resources/bundles/imported-random"));
    /**
     * Diffusers' runs of the SD3, SDXL and Wan bundles of the same H100 run, kept without their graphs (their README):
     * what the scheduler check reads.
     */
    static final Path DIFFUSERS_RUNS = Path.of("src/test/resources/bundles/diffusers-runs");
    static final double MIN_PSNR_DB = 40;
    /** Text states and pooled embeddings: ONNX Runtime's float32 graphs against PyTorch's. */
    static final double MIN_TEXT_COSINE = 0.9999;
    /**
     * The scheduler's step is a few float operations per value; 1e-4 of the latents' norm is float32 rounding many
     * times over, yet far below what a different grid or initial noise scale gives (0.2% for σ_max vs √(σ_max²+1)).
     */
    static final double MAX_SCHEDULER_RELATIVE_ERROR = 1e-4;
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

    /** The bundles that hold a diffusers pipeline's whole run (a folder of bundles without one skips these tests). */
    static List<String> bundlesWithARun() throws IOException {
        List<String> names = bundlesWith("image");
        assumeFalse(names.isEmpty(), "no bundle with a diffusers run under " + FIXTURES);
        return names;
    }

    @Test
    void theBundlesTextEncodersGiveTheTextInputsThePipelineGaveItsDenoiser() throws Exception {
        List<String> failures = new ArrayList<>();
        for (String name : bundlesWithARun()) {
            ReferenceRun run = ReferenceRun.of(name);
            try (DiffusionPipeline pipeline = DiffusionPipeline.open(ModelBundle.load(run.dir()),
                    AttentionResolver.resolve(AttentionChoice.ONNX_RUNTIME, false), cpu)) {
                TextEmbedder embedder = pipeline.textEmbedder();
                TextEmbedder.Embedding positive = embedder.embed(run.prompt());
                List<Map.Entry<String, TextCondition>> checked = new ArrayList<>();
                checked.add(Map.entry("positive", positive.condition()));
                if (run.guided()) {
                    checked.add(Map.entry("negative", embedder.embedNegative(run.negativePrompt(), positive)
                            .condition()));
                }
                for (Map.Entry<String, TextCondition> e : checked) {
                    ReferenceRun.CallRow where = run.textRow(e.getKey().equals("positive"));
                    TextCondition ours = e.getValue();
                    failures.addAll(agree(name + " " + e.getKey() + " text states", ours.hiddenStates(),
                            where.row("encoder_hidden_states")));
                    JsonNode pooled = pickOrNull(where.call(), POOLED_KEYS);
                    if (pooled != null) {
                        failures.addAll(agree(name + " " + e.getKey() + " pooled", ours.pooled(),
                                where.row(pooled)));
                    }
                    JsonNode timeIds = where.call().get("added_cond_kwargs.time_ids");
                    if (timeIds != null) {
                        ModelSpec.SampleSpec s = pipeline.bundle().spec().sample();
                        float[] expected = where.row(timeIds);
                        float[] ourTimeIds = Denoiser.sizeConditioning(s.height(), s.width());
                        if (!Arrays.equals(ourTimeIds, expected)) {
                            failures.add(name + " time_ids: ours " + Arrays.toString(ourTimeIds) + ", the pipeline's "
                                    + Arrays.toString(expected));
                        }
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Empty when {@code ours} matches {@code expected} (cosine; all zeros must be all zeros), else why not. */
    private static List<String> agree(String what, float[] ours, float[] expected) {
        if (ours == null || ours.length != expected.length) {
            return List.of(what + ": " + (ours == null ? "none" : ours.length + " values") + " where the pipeline has "
                    + expected.length);
        }
        double norm = norm(expected);
        if (norm == 0) {
            double mine = norm(ours);
            System.out.printf("%s: all zeros in the pipeline, norm %.3g in ours%n", what, mine);
            return mine == 0 ? List.of() : List.of(what + ": the pipeline's are zeros, ours have norm " + mine);
        }
        double c = cosine(ours, expected);
        System.out.printf("%s: cosine %.8f, relative error %.2e against the pipeline's%n", what, c,
                distance(ours, expected) / norm);
        return c >= MIN_TEXT_COSINE ? List.of() : List.of(what + ": cosine " + c);
    }

    /** Every run with the latents after each step: the bundles' and {@link #DIFFUSERS_RUNS}. */
    static List<Path> runsWithLatents() throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (String name : bundlesWith("latentsAfterStep")) {
            dirs.add(FIXTURES.resolve(name));
        }
        try (Stream<Path> runs = Files.list(DIFFUSERS_RUNS)) {
            runs.filter(Files::isDirectory).sorted().forEach(dirs::add);
        }
        return dirs;
    }

    @Test
    void theBundlesSchedulerStepsDiffusersOutputsToDiffusersLatents() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Path dir : runsWithLatents()) {
            ReferenceRun run = ReferenceRun.at(dir);
            String name = dir.getFileName().toString();
            SchedulerConfig config = ModelBundle.schedulerConfig(dir.resolve("model.json"));
            Scheduler scheduler = config.create();
            scheduler.setTimesteps(run.steps());
            float[] ours = scheduler.timesteps();
            float[] theirs = run.timesteps();
            if (ours.length != theirs.length || !close(ours, theirs, 0.05f)) {
                failures.add(name + " timesteps: ours " + Arrays.toString(ours) + ", diffusers' "
                        + Arrays.toString(theirs));
                continue;
            }
            float[] x = run.floats(run.json().at("/files/initialLatents"));
            float sigma = (float) scheduler.initNoiseSigma();
            for (int i = 0; i < x.length; i++) {
                x[i] *= sigma;
            }
            JsonNode after = run.json().at("/files/latentsAfterStep");
            for (int k = 0; k < run.steps(); k++) {
                x = scheduler.step(run.guidedOutput(k, x.length), k, x, null).prevSample();
                float[] expected = run.floats(after.get(k));
                double error = distance(x, expected) / norm(expected);
                System.out.printf("%s: step %d (timestep %.2f) with %s, latents' relative error %.2e against"
                        + " diffusers'%n", name, k, theirs[k], config.name().jsonName(), error);
                if (!(error <= MAX_SCHEDULER_RELATIVE_ERROR)) {
                    failures.add(name + " step " + k + ": latents' relative error " + error
                            + (k == 0 ? " (initial noise scaled by " + sigma + ")" : ""));
                    break;
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static boolean close(float[] a, float[] b, float tolerance) {
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > tolerance) {
                return false;
            }
        }
        return true;
    }

    @Test
    void reproducesTheDiffusersPipelinesOutputFromTheSameSeed() throws Exception {
        List<String> failures = new ArrayList<>();
        for (String name : bundlesWithARun()) {
            // flash-fp16's and sage-int8-fp16's CPU counterparts, and ONNX Runtime alone
            String sage = BackendCatalog.standard().require("sage-int8-fp16").cpuCounterpart().orElseThrow();
            for (String backend : List.of(ReferenceAttention.NAME, sage, AttentionChoice.ONNX_RUNTIME)) {
                double psnr = reproduce(ReferenceRun.of(name), backend);
                if (!(psnr >= MIN_PSNR_DB)) {
                    failures.add(name + " with " + backend + ": PSNR " + psnr + " dB");
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** PSNR of our pipeline's output against the diffusers pipeline's, from the run's seed, prompt and settings. */
    static double reproduce(ReferenceRun run, String backend) throws Exception {
        return reproduce(run, AttentionResolver.resolve(backend, false), cpu).psnr();
    }

    /**
     * Our pipeline's output against the diffusers pipeline's, from the run's seed, prompt and settings, with attention
     * as {@code choice} says (closed here) and the other components on {@code runtime}.
     */
    static ImageMetrics reproduce(ReferenceRun run, AttentionChoice choice, OrtRuntime runtime) throws Exception {
        ModelBundle bundle = ModelBundle.load(run.dir());
        GenerationRequest request = GenerationRequest.of(run.prompt(), run.json().get("seed").asLong())
                .withSteps(run.steps())
                .withGuidance(run.guidance())
                .withNegativePrompt(run.negativePrompt());
        GenerationResult result;
        String backend = choice.name();
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, choice, runtime)) {
            result = pipeline.generate(request);
        }
        if (!choice.isOnnxRuntime()) {
            assertEquals(backend, result.execution().attentionThatRan(), "no silent fallback: " + result.execution());
        }
        JsonNode image = run.json().at("/files/image");
        float[] expected = toChannelsFirst(run.floats(image), image.get("shape"),
                run.json().get("imageLayout").asText());
        assertEquals(expected.length, result.output().length, "output size");
        // diffusers' image is in [0, 1]; ours in the bundle's value range, mapped the same way as to pixels
        ImageMetrics m = ImageMetrics.compare(result.output(), unitToRange(expected, result), result.frames(),
                result.height(), result.width(), result.valueLow(), result.valueHigh());
        System.out.printf("%s with %s: PSNR %.1f dB, SSIM %.4f against the diffusers pipeline (%s)%n",
                run.dir().getFileName(), backend, m.psnr(), m.ssim(), result.execution().attention().note().orElse(""));
        return m;
    }

    /**
     * Where each pipeline's captured call holds the denoiser's inputs (check_import.py names positional arguments argN
     * and keyword arguments by name; the pipelines call their models differently).
     */
    static final List<String> SAMPLE_KEYS = List.of("hidden_states", "arg0");
    static final List<String> TIMESTEP_KEYS = List.of("timestep", "arg1");
    static final List<String> POOLED_KEYS = List.of("pooled_projections", "added_cond_kwargs.text_embeds");

    /**
     * Backends of the call replay, with the cosine each must reach against PyTorch's output: ONNX Runtime alone, and
     * the CPU counterpart of every GPU backend (the same arithmetic as the GPU kernel, emulated).
     */
    static Stream<Arguments> bundlesAndDenoiserBackends() throws IOException {
        List<String> names = bundlesWith("calls");
        assertFalse(names.isEmpty(), "no imported bundle with captured denoiser calls under " + FIXTURES);
        List<Arguments> backends = new ArrayList<>();
        backends.add(Arguments.of(AttentionChoice.ONNX_RUNTIME, 0.9999));
        for (BackendDescriptor gpu : BackendCatalog.standard().all()) {
            gpu.cpuCounterpart().ifPresent(c -> backends.add(Arguments.of(c, minCosine(c))));
        }
        return names.stream().flatMap(name -> backends.stream().map(b -> Arguments.of(name, b.get()[0], b.get()[1])));
    }

    /**
     * Exact attention must match to float rounding; the int8 emulators carry their Q and K quantisation error (the
     * bound DecomposedAttentionGraphsTest uses), and FP8 P·V its 3-bit mantissa on top.
     */
    static double minCosine(String cpuBackend) {
        if (cpuBackend.equals(ReferenceAttention.NAME)) {
            return 0.9999;
        }
        return cpuBackend.contains("fp8") ? 0.998 : 0.999;
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("bundlesAndDenoiserBackends")
    void everyCapturedDenoiserCallGivesPyTorchsOutput(String name, String backend, double minCosine) throws Exception {
        assertCallsMatch(name, AttentionResolver.resolve(backend, false), cpu, minCosine);
    }

    /**
     * Replays every denoiser call the diffusers run captured through the bundle's denoiser, with attention as {@code
     * choice} says (the caller's to close) and the rest on {@code runtime}: the worst cosine against PyTorch's output
     * must reach {@code minCosine}.
     */
    static void assertCallsMatch(String name, AttentionChoice choice, OrtRuntime runtime, double minCosine)
            throws Exception {
        ReferenceRun run = ReferenceRun.of(name);
        double worst = 1;
        int rowsChecked = 0;
        try (DiffusionPipeline pipeline = DiffusionPipeline.open(ModelBundle.load(run.dir()), choice, runtime)) {
            Denoiser denoiser = pipeline.denoiser();
            int n = denoiser.sampleSize();
            for (JsonNode call : run.calls()) {
                float[] samples = run.floats(pick(call, SAMPLE_KEYS));
                float[] timesteps = run.floats(pick(call, TIMESTEP_KEYS));
                JsonNode text = call.get("encoder_hidden_states");
                float[] states = run.floats(text);
                JsonNode pooledFile = pickOrNull(call, POOLED_KEYS);
                float[] pooled = pooledFile == null ? null : run.floats(pooledFile);
                float[] expected = run.floats(call.get("output"));
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
                name, choice.name(), rowsChecked, worst, 1 - worst);
        assertTrue(rowsChecked > 0, name + ": no captured denoiser call");
        assertTrue(worst >= minCosine, name + " with " + choice.name() + ": cosine " + worst);
    }

    /**
     * A bundle's {@code reference/}: sampling.json and the raw float32 files it names.
     *
     * @param dir  the bundle
     * @param json reference/sampling.json
     */
    record ReferenceRun(Path dir, JsonNode json) {

        static ReferenceRun of(String name) throws IOException {
            return at(FIXTURES.resolve(name));
        }

        static ReferenceRun at(Path dir) throws IOException {
            return new ReferenceRun(dir, JSON.readTree(dir.resolve("reference/sampling.json").toFile()));
        }

        JsonNode calls() {
            return json.at("/files/calls");
        }

        String prompt() {
            return json.get("prompt").asText();
        }

        String negativePrompt() {
            return json.get("negativePrompt").asText();
        }

        int steps() {
            return json.get("steps").asInt();
        }

        double guidance() {
            return json.get("guidanceScale").asDouble();
        }

        /** Guided as diffusers' pipelines decide it (guidance above 1), which is also when SageStudio's is. */
        boolean guided() {
            return guidance() > 1;
        }

        float[] timesteps() {
            JsonNode t = json.get("timesteps");
            float[] out = new float[t.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) t.get(i).asDouble();
            }
            return out;
        }

        float[] floats(JsonNode file) throws IOException {
            return readFloats(dir.resolve("reference").resolve(file.get("file").asText()));
        }

        /**
         * Whether each guided step is one call with the batch [negative, positive] (the SD3, SDXL and PixArt
         * pipelines) rather than two calls, positive then negative (Wan).
         */
        boolean batchesGuidance() {
            return guided() && rowsOf(calls().get(0).get("encoder_hidden_states")) == 2;
        }

        /** The call and batch row in which the pipeline gave its denoiser the prompt's (or negative prompt's) text. */
        CallRow textRow(boolean positive) {
            if (!guided()) {
                return new CallRow(this, calls().get(0), 0);
            }
            if (batchesGuidance()) {
                return new CallRow(this, calls().get(0), positive ? 1 : 0);
            }
            return new CallRow(this, calls().get(positive ? 0 : 1), 0);
        }

        /**
         * The model output diffusers' scheduler stepped with at step {@code step}: the first {@code n} values of each
         * row (PixArt's learned variance follows them), guided as the pipeline guides.
         */
        float[] guidedOutput(int step, int n) throws IOException {
            if (!guided()) {
                return new CallRow(this, calls().get(step), 0).row("output", n);
            }
            CallRow cond = batchesGuidance() ? new CallRow(this, calls().get(step), 1)
                    : new CallRow(this, calls().get(2 * step), 0);
            CallRow uncond = batchesGuidance() ? new CallRow(this, calls().get(step), 0)
                    : new CallRow(this, calls().get(2 * step + 1), 0);
            return ClassifierFreeGuidance.combine(cond.row("output", n), uncond.row("output", n), guidance());
        }

        /** One batch row of a captured call. */
        record CallRow(ReferenceRun run, JsonNode call, int row) {

            float[] row(String key) throws IOException {
                return row(call.get(key));
            }

            float[] row(String key, int n) throws IOException {
                return Arrays.copyOf(row(key), n);
            }

            float[] row(JsonNode file) throws IOException {
                float[] all = run.floats(file);
                int per = all.length / rowsOf(file);
                return Arrays.copyOfRange(all, row * per, (row + 1) * per);
            }
        }

        /** The first dimension of a saved tensor (1 for a scalar, as SDXL's timestep). */
        static int rowsOf(JsonNode file) {
            JsonNode shape = file.get("shape");
            return shape.isEmpty() ? 1 : shape.get(0).asInt();
        }
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

    static double norm(float[] a) {
        double sum = 0;
        for (float v : a) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum);
    }

    static double distance(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            sum += d * d;
        }
        return Math.sqrt(sum);
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
