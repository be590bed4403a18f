package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec.TextCombine;
import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.pipeline.TextCombination.EncoderOutput;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several text encoders (schemaVersion 2): their outputs combined as diffusers' SD3 and SDXL pipelines do, checked
 * against values written out by hand and against the tiny encoders' weights, and whole generations through them.
 */
class SeveralTextEncodersTest {

    /** "a red cat" with the tiny tokenizer: a = 2, red = 3, cat = 8, then padding. */
    private static final int[] A_RED_CAT = {2, 3, 8};

    @TempDir
    static Path dir;
    static OrtRuntime cpu;
    static Path sdxlDir;
    static Path sd3Dir;
    static DiffusionPipeline sdxl;
    static DiffusionPipeline sd3;

    @BeforeAll
    static void open() throws Exception {
        cpu = OrtRuntime.cpu(1);
        sdxlDir = TinyTextEncoders.sdxl(dir.resolve("sdxl"));
        sd3Dir = TinyTextEncoders.sd3(dir.resolve("sd3"));
        sdxl = DiffusionPipeline.open(ModelBundle.load(sdxlDir), AttentionResolver.resolve("cpu-reference", false), cpu);
        sd3 = DiffusionPipeline.open(ModelBundle.load(sd3Dir), AttentionResolver.resolve("cpu-reference", false), cpu);
    }

    @AfterAll
    static void close() {
        sdxl.close();
        sd3.close();
        cpu.close();
    }

    @Test
    void sd3JoinsClipFeaturesPadsThemToT5sWidthAndAppendsT5sTokens() {
        // CLIP-L: 2 tokens × 1 feature, CLIP-G: 2 × 2, T5: 1 token × 4 features
        var l = new EncoderOutput(new float[] {1, 2}, 2, 1, new float[] {10});
        var g = new EncoderOutput(new float[] {3, 4, 5, 6}, 2, 2, new float[] {20, 21});
        var t5 = new EncoderOutput(new float[] {7, 8, 9, 9.5f}, 1, 4, null);
        TextCondition c = TextCombination.combine(TextCombine.SD3, List.of(l, g, t5));
        assertEquals(3, c.length());
        assertEquals(4, c.width());
        assertArrayEquals(new float[] {
            1, 3, 4, 0,
            2, 5, 6, 0,
            7, 8, 9, 9.5f}, c.hiddenStates());
        assertArrayEquals(new float[] {10, 20, 21}, c.pooled());
    }

    @Test
    void sdxlJoinsClipFeaturesAndTakesClipGsPooledOutput() {
        var l = new EncoderOutput(new float[] {1, 2}, 2, 1, null);
        var g = new EncoderOutput(new float[] {3, 4, 5, 6}, 2, 2, new float[] {20, 21});
        TextCondition c = TextCombination.combine(TextCombine.SDXL, List.of(l, g));
        assertEquals(2, c.length());
        assertEquals(3, c.width());
        assertArrayEquals(new float[] {1, 3, 4, 2, 5, 6}, c.hiddenStates());
        assertArrayEquals(new float[] {20, 21}, c.pooled());
    }

    @Test
    void aSingleEncodersStatesAreUsedAsTheyAreWithoutPooledEmbedding() {
        var only = new EncoderOutput(new float[] {1, 2, 3, 4}, 2, 2, null);
        TextCondition c = TextCombination.combine(null, List.of(only));
        assertArrayEquals(new float[] {1, 2, 3, 4}, c.hiddenStates());
        assertNull(c.pooled());
    }

    @Test
    void combinationsTheRulesCannotMakeAreRefused() {
        var l = new EncoderOutput(new float[] {1, 2}, 2, 1, new float[] {10});
        var g3 = new EncoderOutput(new float[] {3, 4, 5}, 3, 1, new float[] {20});
        var narrowT5 = new EncoderOutput(new float[] {7}, 1, 1, null);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TextCombination.combine(TextCombine.SDXL,
                List.of(l, g3))).getMessage().contains("CLIP-L gives 2 tokens, CLIP-G 3"));
        var g = new EncoderOutput(new float[] {3, 4}, 2, 1, new float[] {20});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TextCombination.combine(TextCombine.SD3,
                List.of(l, g, narrowT5))).getMessage().contains("more than T5's 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TextCombination.combine(TextCombine.SD3,
                List.of(l, g))).getMessage().contains("sd3 combines 3 encoder(s), got 2"));
    }

    @Test
    void theSdxlBundlesTextInputsAreTheEncodersTablesRowsSideBySideAndClipGsProjectedMean() {
        TextCondition c = sdxl.textEmbedder().embed("a red cat").condition();
        var l = TinyTextEncoders.SDXL[0];
        var g = TinyTextEncoders.SDXL[1];
        float[] embL = TinyTextEncoders.weights(sdxlDir, l, "embedding");
        float[] embG = TinyTextEncoders.weights(sdxlDir, g, "embedding");
        assertEquals(8, c.length());
        assertEquals(16, c.width());
        for (int t = 0; t < 8; t++) {
            int id = id(t);
            float[] expected = concat(row(embL, id, l.width()), row(embG, id, g.width()));
            assertArrayEquals(expected, Arrays.copyOfRange(c.hiddenStates(), t * 16, (t + 1) * 16), 1e-6f, "token " + t);
        }
        assertArrayEquals(pooled(sdxlDir, g), c.pooled(), 1e-5f);
    }

    @Test
    void theSd3BundlesTextInputsArePaddedClipTokensThenT5TokensAndBothClipPools() {
        TextCondition c = sd3.textEmbedder().embed("a red cat").condition();
        var l = TinyTextEncoders.SD3[0];
        var g = TinyTextEncoders.SD3[1];
        var t5 = TinyTextEncoders.SD3[2];
        float[] embL = TinyTextEncoders.weights(sd3Dir, l, "embedding");
        float[] embG = TinyTextEncoders.weights(sd3Dir, g, "embedding");
        float[] embT5 = TinyTextEncoders.weights(sd3Dir, t5, "embedding");
        assertEquals(8 + 4, c.length());
        assertEquals(16, c.width());
        for (int t = 0; t < 8; t++) {
            int id = id(t);
            // 6 + 8 CLIP features, zero-padded to T5's 16
            float[] expected = Arrays.copyOf(concat(row(embL, id, l.width()), row(embG, id, g.width())), 16);
            assertArrayEquals(expected, Arrays.copyOfRange(c.hiddenStates(), t * 16, (t + 1) * 16), 1e-6f, "token " + t);
        }
        for (int t = 0; t < 4; t++) {
            assertArrayEquals(row(embT5, id(t), 16), Arrays.copyOfRange(c.hiddenStates(), (8 + t) * 16,
                    (9 + t) * 16), 1e-6f, "T5 token " + t);
        }
        assertArrayEquals(concat(pooled(sd3Dir, l), pooled(sd3Dir, g)), c.pooled(), 1e-5f);
    }

    @Test
    void aGuidedSdxlStepUsesTheEncodedPromptAndZerosForTheEmptyNegativePrompt() {
        // One flow-Euler step from sigma 1 to 0: x = noise - v, v the guided velocity.
        double scale = 2.5;
        GenerationResult r = sdxl.generate(new GenerationRequest("a red cat", "", 7, 1, scale, null, 0));
        TextEmbedder.Embedding cond = sdxl.textEmbedder().embed("a red cat");
        TextEmbedder.Embedding uncond = sdxl.textEmbedder().embedNegative("", cond);
        assertTrue(uncond.tokens().isEmpty(), "an empty negative prompt is not encoded");
        for (float v : uncond.condition().hiddenStates()) {
            assertEquals(0f, v);
        }
        float[] noise = new SeededNoise(7).next(3 * 8 * 8);
        Denoiser d = sdxl.denoiser();
        float[] c = d.predict(noise, 1000f, List.of(cond.condition()), () -> { }).outputs().get(0);
        float[] u = d.predict(noise, 1000f, List.of(uncond.condition()), () -> { }).outputs().get(0);
        for (int i = 0; i < noise.length; i++) {
            assertEquals(noise[i] - (u[i] + scale * (c[i] - u[i])), r.output()[i], 1e-4, "value " + i);
        }
        // the pooled embedding reaches the denoiser: without it the prediction changes
        TextCondition noPooled = new TextCondition(cond.hiddenStates(), cond.length(), cond.hiddenSize(),
                new float[cond.condition().pooled().length]);
        float[] withoutPooled = d.predict(noise, 1000f, List.of(noPooled), () -> { }).outputs().get(0);
        assertFalse(Arrays.equals(c, withoutPooled));
        // a non-empty negative prompt is encoded
        assertEquals(2, sdxl.textEmbedder().embedNegative("a cat", cond).tokens().size());
    }

    @Test
    void sdxlGetsItsSizeConditioningOfAFullUncroppedImage() {
        TextCondition cond = sdxl.textEmbedder().embed("a red cat").condition();
        var inputs = sdxl.denoiser().textInputs(List.of(cond, cond.zeros()));
        assertEquals(List.of("encoder_hidden_states", "pooled_text_embeds", "time_ids"), List.copyOf(inputs.keySet()));
        assertArrayEquals(new long[] {2, 6}, inputs.get("time_ids").shape());
        assertArrayEquals(new float[] {8, 8, 0, 0, 8, 8, 8, 8, 0, 0, 8, 8},
                GraphComponent.floats(inputs.get("time_ids"), "time_ids"));
        assertArrayEquals(new long[] {2, 4}, inputs.get("pooled_text_embeds").shape());
        assertArrayEquals(new long[] {2, 8, 16}, inputs.get("encoder_hidden_states").shape());
    }

    @Test
    void sd3GeneratesWithThreeEncodersAndThePromptConditionsTheImage() {
        GenerationRequest request = GenerationRequest.of("a red cat", 5);
        GenerationResult cat = sd3.generate(request);
        GenerationResult ghost = sd3.generate(new GenerationRequest("a blue ghost", null, 5, null, null, null, 0));
        for (float v : cat.output()) {
            assertTrue(Float.isFinite(v));
        }
        assertFalse(Arrays.equals(cat.output(), ghost.output()));
        assertEquals(List.of("text encoder 1", "text encoder 2", "text encoder 3", "denoiser"),
                List.copyOf(cat.execution().substitutedNodes().keySet()));
    }

    @Test
    void theSampleResidentLoopGivesTheHostLoopsImageWithSeveralEncoders() throws Exception {
        GenerationRequest request = GenerationRequest.of("a red cat", 3).withSteps(3);
        GenerationResult host = sdxl.generate(request);
        try (DiffusionPipeline p = DiffusionPipeline.open(ModelBundle.load(sdxlDir),
                AttentionResolver.resolve("cpu-reference", false), cpu)) {
            p.residentLoop(cpu);
            GenerationResult resident = p.generate(request);
            assertArrayEquals(host.output(), resident.output(), 1e-4f);
        }
    }

    /** Token t of "a red cat" padded with id 0. */
    private static int id(int t) {
        return t < A_RED_CAT.length ? A_RED_CAT[t] : 0;
    }

    private static float[] row(float[] table, int id, int width) {
        return Arrays.copyOfRange(table, id * width, (id + 1) * width);
    }

    /** mean over the 8 (or 4) tokens of "a red cat" of the table's rows, times the projection. */
    private static float[] pooled(Path bundle, TinyTextEncoders.Encoder e) {
        float[] table = TinyTextEncoders.weights(bundle, e, "embedding");
        float[] projection = TinyTextEncoders.weights(bundle, e, "projection");
        float[] mean = new float[e.width()];
        for (int t = 0; t < e.length(); t++) {
            float[] r = row(table, id(t), e.width());
            for (int k = 0; k < e.width(); k++) {
                mean[k] += r[k] / e.length();
            }
        }
        float[] out = new float[e.pooledWidth()];
        for (int j = 0; j < out.length; j++) {
            for (int k = 0; k < e.width(); k++) {
                out[j] += mean[k] * projection[k * out.length + j];
            }
        }
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
