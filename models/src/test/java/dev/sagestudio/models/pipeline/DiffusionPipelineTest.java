package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sagestudio.models.output.GenerationOutput;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.output.PngWithParameters;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation end to end on the CPU with a tiny bundle built here: seeds, guidance, progress, cancellation, reports. */
class DiffusionPipelineTest {

    @TempDir
    static Path dir;
    static ModelBundle image;
    static DiffusionPipeline reference;
    static OrtRuntime cpu;

    @BeforeAll
    static void open() throws Exception {
        image = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
        cpu = OrtRuntime.cpu(1);
        reference = DiffusionPipeline.open(image, AttentionResolver.resolve("cpu-reference", false), cpu);
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    @Test
    void theSameSeedReproducesTheOutputBitForBitAndAnotherSeedChangesIt() {
        GenerationRequest request = GenerationRequest.of("a red heart", 42);
        GenerationResult first = reference.generate(request);
        GenerationResult again = reference.generate(request);
        GenerationResult other = reference.generate(request.withSeed(43));
        assertArrayEquals(first.output(), again.output());
        assertFalse(java.util.Arrays.equals(first.output(), other.output()));
        for (float v : first.output()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void theBundleDefaultsAreUsedWhenTheRequestLeavesThemOpen() {
        GenerationResult r = reference.generate(GenerationRequest.of("a cat", 1));
        assertEquals(4, r.steps());
        assertEquals(3.0, r.guidanceScale());
        assertEquals("", r.negativePrompt());
        assertEquals(SchedulerName.FLOW_EULER, r.scheduler());
        assertEquals(4, r.stepTimings().size());
        assertEquals(3 * 8 * 8, r.output().length);
    }

    @Test
    void aGuidedStepIsUncondPlusScaleTimesCondMinusUncond() {
        // One flow-Euler step from sigma 1 to 0: x = noise - v, with v the guided velocity.
        double scale = 2.5;
        GenerationResult r = reference.generate(new GenerationRequest("a blue ghost", "a cat", 7, 1, scale, null, 0));
        TextEmbedder.Embedding cond = reference.textEmbedder().embed("a blue ghost");
        TextEmbedder.Embedding uncond = reference.textEmbedder().embed("a cat");
        float[] noise = new SeededNoise(7).next(3 * 8 * 8);
        Denoiser d = reference.denoiser();
        float t = 1000f;
        float[] c = d.predict(noise, t, List.of(cond.condition()), () -> { }).outputs().get(0);
        float[] u = d.predict(noise, t, List.of(uncond.condition()), () -> { }).outputs().get(0);
        for (int i = 0; i < noise.length; i++) {
            double expected = noise[i] - (u[i] + scale * (c[i] - u[i]));
            // the pipeline batches cond and uncond in one run; batch and single runs agree to float rounding
            assertEquals(expected, r.output()[i], 1e-4, "value " + i);
        }
        assertTrue(differs(c, u), "the prompts must condition the tiny denoiser, or this test proves nothing");
    }

    @Test
    void guidanceCombinesElementwise() {
        float[] cond = {1, 2, -3};
        float[] uncond = {0.5f, 2, 1};
        assertArrayEquals(cond, ClassifierFreeGuidance.combine(cond, uncond, 1));
        assertArrayEquals(uncond, ClassifierFreeGuidance.combine(cond, uncond, 0));
        assertArrayEquals(new float[] {2, 2, -11}, ClassifierFreeGuidance.combine(cond, uncond, 3));
    }

    @Test
    void guidanceScaleOneRunsTheDenoiserOncePerStepWithoutTheNegativePrompt() {
        GenerationResult r = reference.generate(GenerationRequest.of("a pizza", 3).withGuidance(1.0).withSteps(3));
        for (StepTiming t : r.stepTimings()) {
            assertEquals(1, t.denoiserCalls());
            assertEquals(2, t.attentionCalls()); // one batch of 1 through the self- and the cross-attention node
        }
    }

    @Test
    void progressReportsEveryStepWithTimingAndPreviewsOnlyWhereAsked() {
        List<StepEvent> events = new ArrayList<>();
        List<Integer> started = new ArrayList<>();
        reference.generate(GenerationRequest.of("a red pizza", 5).withSteps(6).withPreviewEvery(4), new ProgressListener() {
            @Override
            public void onStep(StepEvent event) {
                events.add(event);
            }

            @Override
            public void beforeStep(int step, int steps) {
                started.add(step);
            }
        }, new CancellationToken());
        assertEquals(6, events.size());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), started);
        for (int i = 0; i < 6; i++) {
            StepEvent e = events.get(i);
            assertEquals(i, e.step());
            assertEquals(6, e.steps());
            assertTrue(e.timing().totalNanos() > 0);
            assertTrue(e.timing().ortNanos() > 0 && e.timing().attentionNanos() > 0);
            assertTrue(e.timing().ortNanos() + e.timing().attentionNanos() <= e.timing().totalNanos());
            assertEquals(1, e.timing().denoiserCalls());
            assertEquals(2, e.timing().attentionCalls());
            // host path: sample, timestep and text in, output out, and Q, K, V in and O out of both attention nodes
            assertEquals(3 + 1 + 4 * 2, e.timing().copies());
            assertEquals(i == 3 || i == 5, e.preview().isPresent(), "preview at step " + i);
        }
        assertEquals(3 * 8 * 8, events.get(5).preview().orElseThrow().length);
        assertEquals(1.0, events.get(5).fractionDone());
        assertTrue(events.get(5).elapsedNanos() >= events.get(4).elapsedNanos());
    }

    @Test
    void aTokenCancelledDuringAStepStopsTheRunBeforeTheNextStep() {
        CancellationToken token = new CancellationToken();
        List<StepEvent> events = new ArrayList<>();
        GenerationCancelledException e = assertThrows(GenerationCancelledException.class, () ->
                reference.generate(GenerationRequest.of("a ghost", 9).withSteps(8), new ProgressListener() {
                    @Override
                    public void onStep(StepEvent event) {
                        events.add(event);
                    }

                    @Override
                    public void beforeStep(int step, int steps) {
                        if (step == 2) {
                            token.cancel(); // arrives while step 2 runs
                        }
                    }
                }, token));
        assertEquals(3, e.stepsDone());
        assertEquals(8, e.steps());
        assertEquals(3, events.size());
        // The run's tensors were freed and the sessions are intact: the next run works and matches a fresh one.
        GenerationRequest next = GenerationRequest.of("a ghost", 9).withSteps(2);
        assertArrayEquals(reference.generate(next).output(), reference.generate(next).output());
    }

    @Test
    void aTokenCancelledBeforeTheRunStartsRunsNoStep() {
        CancellationToken token = new CancellationToken();
        token.cancel();
        List<StepEvent> events = new ArrayList<>();
        GenerationCancelledException e = assertThrows(GenerationCancelledException.class,
                () -> reference.generate(GenerationRequest.of("a cat", 1), events::add, token));
        assertEquals(0, e.stepsDone());
        assertTrue(events.isEmpty());
    }

    @Test
    void aTokenCancelledFromAnotherThreadStopsWithinOneStep() throws Exception {
        CancellationToken token = new CancellationToken();
        List<StepEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        var stepOneStarted = new java.util.concurrent.CountDownLatch(1);
        Thread canceller = new Thread(() -> {
            try {
                stepOneStarted.await();
                token.cancel();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        canceller.start();
        GenerationCancelledException e = assertThrows(GenerationCancelledException.class, () ->
                reference.generate(GenerationRequest.of("a cat", 2).withSteps(50), new ProgressListener() {
                    @Override
                    public void onStep(StepEvent event) {
                        events.add(event);
                        if (event.step() == 1) {
                            // give the other thread time to set the flag before step 2 would start
                            try {
                                canceller.join(5000);
                            } catch (InterruptedException ignored) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }

                    @Override
                    public void beforeStep(int step, int steps) {
                        if (step == 1) {
                            stepOneStarted.countDown();
                        }
                    }
                }, token));
        assertEquals(2, e.stepsDone());
        assertEquals(2, events.size());
    }

    @Test
    void aClosedPipelineRefusesToRunAndCloseIsIdempotent() throws Exception {
        DiffusionPipeline p = DiffusionPipeline.open(image, AttentionResolver.resolve("cpu-reference", false), cpu);
        assertTrue(p.isOpen());
        p.close();
        p.close();
        assertFalse(p.isOpen());
        var e = assertThrows(IllegalStateException.class, () -> p.generate(GenerationRequest.of("a cat", 1)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void theReportNamesTheBackendThatRanAndCountsItsCalls() {
        GenerationResult r = reference.generate(GenerationRequest.of("a red heart", 42).withSteps(3));
        ExecutionReport x = r.execution();
        assertEquals("cpu-reference", x.attentionThatRan());
        // denoiser: 2 nodes x 3 steps (cond and uncond in one batch); the text encoder runs whole in ONNX Runtime
        assertEquals(6, x.attentionCalls());
        assertEquals(Map.of("text encoder", 0L, "denoiser", 2L), x.substitutedNodes());
        assertEquals(List.of("text encoder: its 1 attention node(s) run inside ONNX Runtime (the chosen backend runs"
                + " the denoiser's attention)"), x.keptInOnnxRuntime());
        assertEquals("CPU", x.onnxRuntimeProvider());
        assertTrue(x.attention().fallbackReason().isEmpty());
        assertTrue(x.onnxRuntimeFallback().isEmpty());
        assertTrue(x.denoisingLoop().startsWith("host loop"), x.denoisingLoop());
    }

    @Test
    void aGpuBackendIsRefusedWithTheReasonOrRunsOnItsCpuCounterpartOnlyWhenAllowedAndSaysSo() throws Exception {
        // pose as a machine without a usable GPU, whatever this one has
        java.util.function.Supplier<dev.sagestudio.attention.gpu.GpuBackends> noGpu = () -> {
            throw new dev.sagestudio.attention.gpu.GpuUnavailableException("No NVIDIA driver was found (test).");
        };
        var refused = assertThrows(IllegalArgumentException.class,
                () -> AttentionResolver.resolve("sage-int8-fp16", false, noGpu));
        assertEquals("attention backend 'sage-int8-fp16' needs an NVIDIA GPU, and none is usable here (No NVIDIA"
                + " driver was found). Add --cpu-fallback to run it on the CPU as cpu-sage-int8-fp16 (reported), or"
                + " choose a CPU backend with --backend, e.g. cpu-sage-int8-fp16.", refused.getMessage());
        AttentionChoice fallback = AttentionResolver.resolve("sage-int8-fp16", true, noGpu);
        try (DiffusionPipeline p = DiffusionPipeline.open(image, fallback, cpu)) {
            GenerationResult r = p.generate(GenerationRequest.of("a cat", 1).withSteps(1));
            assertEquals("cpu-sage-int8-fp16", r.execution().attentionThatRan());
            assertEquals("sage-int8-fp16", r.execution().attention().requested());
            assertTrue(r.execution().attention().fallbackReason().isPresent(), r.execution().toString());
            assertEquals("sage-int8-fp16", r.parameters().get("attention_requested"));
            assertTrue(r.parameters().get("attention_fallback").contains("No NVIDIA driver was found"));
        }
        var unknown = assertThrows(IllegalArgumentException.class, () -> AttentionResolver.resolve("fast", true));
        assertTrue(unknown.getMessage().contains("cpu-reference"), unknown.getMessage());
    }

    @Test
    void theSampleResidentLoopGivesTheHostLoopsImageWithOnlyScalarsCrossingPerStep() throws Exception {
        // The loop the device path uses (guidance and the flow Euler step as an ONNX graph next to the denoiser),
        // run here over host memory: the same image as the host loop, guided and unguided, previews on request.
        for (double guidance : new double[] {3.0, 1.0}) {
            GenerationRequest request = GenerationRequest.of("a red heart", 3).withSteps(5).withGuidance(guidance);
            GenerationResult host = reference.generate(request);
            try (DiffusionPipeline p = DiffusionPipeline.open(image, AttentionResolver.resolve("cpu-reference", false),
                    cpu)) {
                p.residentLoop(cpu);
                List<StepEvent> events = new ArrayList<>();
                GenerationResult resident = p.generate(request.withPreviewEvery(2), new ProgressListener() {
                    @Override
                    public void onStep(StepEvent event) {
                        events.add(event);
                    }
                }, new CancellationToken());
                double largest = 0;
                double worst = 0;
                for (int i = 0; i < host.output().length; i++) {
                    largest = Math.max(largest, Math.abs(host.output()[i]));
                    worst = Math.max(worst, Math.abs(host.output()[i] - resident.output()[i]));
                }
                assertTrue(worst <= 1e-5 * Math.max(1, largest), "guidance " + guidance + ": max |diff| " + worst);
                assertEquals(5, events.size());
                for (StepEvent e : events) {
                    boolean preview = e.step() == 1 || e.step() == 3 || e.step() == 4;
                    assertEquals(preview, e.preview().isPresent(), "preview at step " + e.step());
                    // timestep rows and the step's six coefficients up, the predicted x0 down for a preview; here
                    // the CPU attention also stages Q, K, V and O per call, which the device path's kernels do not
                    assertEquals((preview ? 3 : 2) + 4L * e.timing().attentionCalls(), e.timing().copies(),
                            "copies at step " + e.step());
                }
                assertTrue(resident.notes().stream().noneMatch(n -> n.contains("sampler on the host")),
                        resident.notes().toString());
            }
        }
    }

    @Test
    void aSchedulerWithoutAnAffineStepKeepsTheHostLoopAndTheResultSaysWhy() throws Exception {
        ModelBundle eps = ModelBundle.load(TinyBundle.epsilonImage(dir.resolve("eps-ddim"), "ddim"));
        GenerationRequest request = GenerationRequest.of("a cat", 4).withSteps(3);
        try (DiffusionPipeline host = DiffusionPipeline.open(eps, AttentionResolver.resolve("cpu-reference", false), cpu);
             DiffusionPipeline resident = DiffusionPipeline.open(eps, AttentionResolver.resolve("cpu-reference", false),
                     cpu)) {
            resident.residentLoop(cpu);
            GenerationResult expected = host.generate(request);
            GenerationResult actual = resident.generate(request);
            assertArrayEquals(expected.output(), actual.output());
            assertTrue(actual.notes().stream().anyMatch(n -> n.contains("sampler on the host")
                    && n.contains("ddim scheduler's step 0 is not an element-wise affine map")),
                    actual.notes().toString());
        }
    }

    @Test
    void aGpuBackendTriesTheDevicePathFirstThenTheHostApiAndSaysWhyAtEachStepDown() {
        // no GPU at all: the device path's reason is the fallback's reason, the host API is not tried
        AttentionChoice noGpu = AttentionResolver.resolve("flash-fp16", true,
                () -> fail("the host API must not be tried when the GPU cannot be used"),
                name -> {
                    throw new dev.sagestudio.attention.gpu.GpuUnavailableException("No NVIDIA driver (test).");
                });
        assertEquals("cpu-reference", noGpu.name());
        assertTrue(noGpu.device().isEmpty());
        assertTrue(noGpu.fallbackReason().orElseThrow().contains("No NVIDIA driver (test)."), noGpu.toString());
        // a GPU, but ONNX Runtime's CUDA EP cannot start: the host API is next (here posing as GPU-less as well)
        java.util.List<String> tried = new java.util.ArrayList<>();
        AttentionChoice noEp = AttentionResolver.resolve("sage-int8-fp16", true, () -> {
            tried.add("host API");
            throw new dev.sagestudio.attention.gpu.GpuUnavailableException("kernels missing (test).");
        }, name -> {
            tried.add("device path");
            throw new dev.sagestudio.models.runtime.OrtRuntimeException("CUDA EP not in this build (test)");
        });
        assertEquals(java.util.List.of("device path", "host API"), tried);
        assertEquals("cpu-sage-int8-fp16", noEp.name());
        assertTrue(noEp.fallbackReason().orElseThrow().contains("kernels missing (test)."), noEp.toString());
    }

    @Test
    void onnxRuntimeAsTheBackendRunsTheDenoiserWholeSaysSoAndMatchesTheReferenceBackend() throws Exception {
        GenerationRequest request = GenerationRequest.of("a red heart", 42).withSteps(3);
        try (DiffusionPipeline p = DiffusionPipeline.open(image, AttentionResolver.resolve("onnxruntime", false), cpu)) {
            GenerationResult r = p.generate(request);
            ExecutionReport x = r.execution();
            assertTrue(x.attentionThatRan().startsWith("onnxruntime (ONNX Runtime's own attention"), x.attentionThatRan());
            assertEquals(0, x.attentionCalls());
            assertTrue(x.keptInOnnxRuntime().contains("denoiser: its 2 attention node(s) run inside ONNX Runtime"
                    + " (--backend onnxruntime chosen)"), x.keptInOnnxRuntime().toString());
            float[] substituted = reference.generate(request).output();
            for (int i = 0; i < substituted.length; i++) {
                assertEquals(r.output()[i], substituted[i], 1e-4, "value " + i);
            }
        }
    }

    @Test
    void aSchedulerOverrideThatCannotSampleTheModelIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> reference.generate(GenerationRequest.of("a cat", 1).withScheduler(SchedulerName.DDIM)));
        assertTrue(e.getMessage().contains("ddim") && e.getMessage().contains("flow"), e.getMessage());
    }

    @Test
    void everyDdpmSamplerRunsAnEpsilonModelReproduciblyIncludingTheStochasticOne() throws Exception {
        ModelBundle eps = ModelBundle.load(TinyBundle.epsilonImage(dir.resolve("eps"), "euler_ancestral"));
        try (DiffusionPipeline p = DiffusionPipeline.open(eps, AttentionResolver.resolve("cpu-reference", false), cpu)) {
            for (SchedulerName name : List.of(SchedulerName.DDIM, SchedulerName.EULER, SchedulerName.EULER_ANCESTRAL,
                    SchedulerName.DPMPP_2M)) {
                GenerationRequest request = GenerationRequest.of("a red cat", 4).withSteps(3).withScheduler(name);
                GenerationResult first = p.generate(request);
                assertEquals(name, first.scheduler());
                // euler_ancestral draws step noise from the seeded stream, so it too repeats exactly
                assertArrayEquals(first.output(), p.generate(request).output(), name.jsonName());
                for (float v : first.output()) {
                    assertTrue(Float.isFinite(v), name.jsonName());
                }
            }
            assertEquals(SchedulerName.EULER_ANCESTRAL, p.generate(GenerationRequest.of("a cat", 1).withSteps(1))
                    .scheduler(), "the bundle's scheduler when the request names none");
            var e = assertThrows(IllegalArgumentException.class, () -> p.generate(GenerationRequest.of("a cat", 1)
                    .withScheduler(SchedulerName.FLOW_EULER)));
            assertTrue(e.getMessage().contains("flow_euler"), e.getMessage());
        }
    }

    @Test
    void aPromptLongerThanTheTokenizerLimitIsReportedAsTruncated() {
        GenerationResult r = reference.generate(GenerationRequest.of("a red heart a blue ghost a spinning pizza cat", 1)
                .withSteps(1));
        assertEquals(1, r.notes().size());
        assertTrue(r.notes().get(0).startsWith("prompt truncated: 10 tokens"), r.notes().get(0));
    }

    @Test
    void theImageIsWrittenAsPngWithItsParametersReadableBack() throws Exception {
        GenerationResult r = reference.generate(GenerationRequest.of("a blue heart", 11).withSteps(2));
        Path png = dir.resolve("out/heart.png");
        Files.createDirectories(png.getParent());
        GenerationOutput.write(r, png);
        Map<String, String> back = PngWithParameters.readParameters(png);
        assertEquals("a blue heart", back.get("prompt"));
        assertEquals("11", back.get("seed"));
        assertEquals("cpu-reference", back.get("attention_backend"));
        assertEquals(8, javax.imageio.ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void aDenoiserWithBatchFixedToOneRunsCondAndUncondSeparatelyWithTheSameResult() throws Exception {
        ModelBundle single = ModelBundle.load(TinyBundle.image(dir.resolve("batch1"), true));
        GenerationRequest request = GenerationRequest.of("a spinning heart", 5).withSteps(3);
        try (DiffusionPipeline p = DiffusionPipeline.open(single, AttentionResolver.resolve("cpu-reference", false), cpu)) {
            assertTrue(p.denoiser().batchFixedToOne());
            GenerationResult r = p.generate(request);
            assertEquals(2, r.stepTimings().get(0).denoiserCalls());
            assertEquals(2 * (3 + 1 + 4 * 2), r.stepTimings().get(0).copies());
            float[] batched = reference.generate(request).output();
            for (int i = 0; i < batched.length; i++) {
                assertEquals(batched[i], r.output()[i], 1e-5);
            }
        }
    }

    @Test
    void aVideoBundleGeneratesFramesAndWritesAnAnimatedGif() throws Exception {
        ModelBundle video = ModelBundle.load(TinyBundle.video(dir.resolve("video")));
        try (DiffusionPipeline p = DiffusionPipeline.open(video, AttentionResolver.resolve("cpu-sage", false), cpu)) {
            GenerationResult r = p.generate(GenerationRequest.of("a spinning pizza", 3).withSteps(2));
            assertEquals(ModelSpec.Kind.VIDEO, r.kind());
            assertEquals(2, r.frames());
            assertEquals(3 * 2 * 8 * 8, r.output().length);
            assertEquals(2, GenerationOutput.images(r).size());
            assertEquals("cpu-sage-int8-fp16", r.execution().attentionThatRan());
            Path gif = dir.resolve("clip.gif");
            GenerationOutput.write(r, gif);
            assertTrue(Files.size(gif) > 0);
            assertThrows(IllegalArgumentException.class, () -> GenerationOutput.write(r, dir.resolve("clip.png")));
        }
    }

    @Test
    void aSchemaTwoClipDecoderTurnsTwoLatentFramesIntoFive() throws Exception {
        ModelBundle latent = ModelBundle.load(TinyBundle.videoWithClipDecoder(dir.resolve("clip-decoder")));
        ModelBundle pixels = ModelBundle.load(TinyBundle.video(dir.resolve("pixel-video")));
        GenerationRequest request = GenerationRequest.of("a spinning pizza", 3).withSteps(2);
        GenerationResult decoded;
        GenerationResult sampled;
        try (DiffusionPipeline p = DiffusionPipeline.open(latent, AttentionResolver.resolve("cpu-reference", false), cpu)) {
            decoded = p.generate(request);
        }
        try (DiffusionPipeline p = DiffusionPipeline.open(pixels, AttentionResolver.resolve("cpu-reference", false), cpu)) {
            sampled = p.generate(request);
        }
        assertEquals(5, decoded.frames());
        assertEquals(3 * 5 * 8 * 8, decoded.output().length);
        // Same denoiser, noise and steps: the final sample is the pixel bundle's output; the decoder halves it
        // (scalingFactor 2) and repeats latent frame 1 four times.
        int plane = 8 * 8;
        int[] latentFrameOf = {0, 1, 1, 1, 1};
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < 5; f++) {
                for (int p = 0; p < plane; p++) {
                    float expected = sampled.output()[(c * 2 + latentFrameOf[f]) * plane + p] / 2;
                    assertEquals(expected, decoded.output()[(c * 5 + f) * plane + p], 1e-6,
                            "channel " + c + ", frame " + f + ", pixel " + p);
                }
            }
        }
    }

    private static boolean differs(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1e-3) {
                return true;
            }
        }
        return false;
    }
}
