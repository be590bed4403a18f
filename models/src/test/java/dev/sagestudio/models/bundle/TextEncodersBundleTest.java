package dev.sagestudio.models.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sagestudio.models.bundle.ModelSpec.TextCombine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * schemaVersion 2's several text encoders ({@code components.textEncoders}): SD3- and SDXL-shaped bundles load, and
 * every field the combination rules depend on is checked, with the field named in the message.
 */
class TextEncodersBundleTest {

    @TempDir
    Path tmp;
    BundleFixture bundle;

    @BeforeEach
    void makeBundle() throws Exception {
        bundle = new BundleFixture(Files.createDirectory(tmp.resolve("bundle")));
    }

    /** The doc example turned into SDXL's layout: CLIP-L 77 × 768, CLIP-G 77 × 1280 with pooled 1280. */
    private void sdxl() {
        several("sdxl", encoder(0, 77, 768, 0), encoder(1, 77, 1280, 1280));
        denoiserText(77, 2048, 1280);
        denoiserInput("time_ids", 6);
    }

    /** The doc example turned into SD3's layout: CLIP-L (pooled 768), CLIP-G (pooled 1280), T5 256 × 4096. */
    private void sd3() {
        several("sd3", encoder(0, 77, 768, 768), encoder(1, 77, 1280, 1280), encoder(2, 256, 4096, 0));
        denoiserText(77 + 256, 4096, 2048);
    }

    private void several(String combine, ObjectNode... encoders) {
        bundle.json.put("schemaVersion", 2);
        bundle.json.remove("tokenizer");
        ObjectNode components = bundle.at("/components");
        components.remove("textEncoder");
        ObjectNode several = components.putObject("textEncoders").put("combine", combine);
        ArrayNode list = several.putArray("encoders");
        for (ObjectNode e : encoders) {
            list.add(e);
        }
    }

    /** Encoder {@code i} in text_encoder_i/ with its tokenizer in tokenizer_i/ (placeholder files). */
    private ObjectNode encoder(int i, int length, int width, int pooled) {
        String file = "text_encoder_" + i + "/model.onnx";
        String tokenizer = "tokenizer_" + i + "/tokenizer.json";
        bundle.writeFile(file, "placeholder");
        bundle.writeFile(tokenizer, "placeholder");
        ObjectNode e = BundleFixture.JSON.createObjectNode().put("file", file);
        e.putObject("tokenizer").put("file", tokenizer).put("maxLength", length).put("padId", 0);
        tensor(e.putObject("inputs"), "input_ids", "input_ids", "int64", "B", length);
        ObjectNode outputs = e.putObject("outputs");
        tensor(outputs, "hidden_states", "hidden_states.11", "float32", "B", length, width);
        if (pooled > 0) {
            tensor(outputs, "pooled", "text_embeds", "float32", "B", pooled);
        }
        return e;
    }

    private static void tensor(ObjectNode map, String role, String name, String dtype, Object... shape) {
        ObjectNode t = map.putObject(role).put("name", name).put("dtype", dtype);
        ArrayNode dims = t.putArray("shape");
        for (Object d : shape) {
            if (d instanceof Integer n) {
                dims.add(n);
            } else {
                dims.add((String) d);
            }
        }
    }

    private void denoiserText(int length, int width, int pooled) {
        ArrayNode shape = (ArrayNode) bundle.json.at("/components/denoiser/inputs/encoder_hidden_states/shape");
        shape.set(1, length);
        shape.set(2, width);
        denoiserInput("pooled_text_embeds", pooled);
    }

    private void denoiserInput(String role, int width) {
        tensor(bundle.at("/components/denoiser/inputs"), role, role, "float32", "B", width);
    }

    private ObjectNode encoderAt(int i) {
        return (ObjectNode) bundle.json.at("/components/textEncoders/encoders/" + i);
    }

    private void refused(String... fragments) {
        BundleException e = assertThrows(BundleException.class, bundle::load);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain \"" + f + "\" but was:\n" + e.getMessage());
        }
    }

    @Test
    void anSdxlBundleLoadsWithEachEncodersFilesResolvedInOrder() throws Exception {
        sdxl();
        ModelBundle loaded = bundle.load();
        assertEquals(TextCombine.SDXL, loaded.spec().components().textEncoders().combine());
        var encoders = loaded.textEncoders();
        assertEquals(List.of("components.textEncoders.encoders[0]", "components.textEncoders.encoders[1]"),
                encoders.stream().map(ModelBundle.TextEncoder::where).toList());
        assertTrue(encoders.get(1).file().endsWith(Path.of("text_encoder_1", "model.onnx")));
        assertTrue(encoders.get(1).tokenizerFile().endsWith(Path.of("tokenizer_1", "tokenizer.json")));
        assertEquals("hidden_states.11", encoders.get(0).component().outputs().get("hidden_states").name());
        assertEquals(loaded.textEncoderFiles(), encoders.stream().map(ModelBundle.TextEncoder::file).toList());
        assertNull(loaded.textEncoderFile());
    }

    @Test
    void anSd3BundleLoads() throws Exception {
        sd3();
        assertEquals(3, bundle.load().textEncoders().size());
    }

    @Test
    void aSchemaTwoBundleWithOneEncoderLoadsAsBefore() throws Exception {
        bundle.json.put("schemaVersion", 2);
        ModelBundle loaded = bundle.load();
        assertEquals(1, loaded.textEncoders().size());
        assertEquals("components.textEncoder", loaded.textEncoders().get(0).where());
        assertEquals(loaded.tokenizerFile(), loaded.textEncoders().get(0).tokenizerFile());
    }

    @Test
    void severalEncodersInASchemaOneFileAreRefused() {
        sdxl();
        bundle.json.put("schemaVersion", 1);
        refused("components.textEncoders: several text encoders need schemaVersion 2, the file declares 1");
    }

    @Test
    void aTopLevelTokenizerOrASingleEncoderNextToSeveralIsRefused() {
        sdxl();
        bundle.json.putObject("tokenizer").put("file", "tokenizer.json").put("maxLength", 32).put("padId", 0);
        bundle.at("/components").putObject("textEncoder").put("file", "text_encoder.onnx");
        refused("tokenizer: not used with components.textEncoders",
                "components.textEncoder: not allowed next to components.textEncoders");
    }

    @Test
    void theCombinationRuleIsRequiredAndNamesItsValues() {
        sdxl();
        bundle.at("/components/textEncoders").put("combine", "flux");
        refused("components.textEncoders.combine", "flux", "sd3", "sdxl");
        bundle.at("/components/textEncoders").remove("combine");
        refused("components.textEncoders.combine: missing");
    }

    @Test
    void eachRuleNeedsItsNumberOfEncoders() {
        sdxl();
        ((ArrayNode) bundle.json.at("/components/textEncoders/encoders")).add(encoder(2, 256, 4096, 0));
        refused("components.textEncoders.encoders: sdxl combines 2 encoders (CLIP-L, CLIP-G, in this order), got 3");
        sd3();
        ((ArrayNode) bundle.json.at("/components/textEncoders/encoders")).remove(2);
        refused("components.textEncoders.encoders: sd3 combines 3 encoders (CLIP-L, CLIP-G, T5, in this order), got 2");
    }

    @Test
    void pooledOutputsMustBeWhereTheRuleReadsThemAndNowhereElse() {
        sdxl();
        ((ObjectNode) encoderAt(1).get("outputs")).remove("pooled");
        tensor((ObjectNode) encoderAt(0).get("outputs"), "pooled", "text_embeds", "float32", "B", 768);
        refused("components.textEncoders.encoders[1].outputs.pooled: missing; sdxl gives the denoiser CLIP-G's pooled",
                "components.textEncoders.encoders[0].outputs.pooled: sdxl uses CLIP-G's pooled output only");
        sd3();
        ((ObjectNode) encoderAt(0).get("outputs")).remove("pooled");
        tensor((ObjectNode) encoderAt(2).get("outputs"), "pooled", "t5_pooled", "float32", "B", 4096);
        refused("components.textEncoders.encoders[0].outputs.pooled: missing; sd3 concatenates",
                "components.textEncoders.encoders[2].outputs.pooled: sd3 does not use T5's pooled output");
    }

    @Test
    void clipLAndClipGMustReadTheSameNumberOfTokens() {
        sdxl();
        encoderAt(1).replace("tokenizer", BundleFixture.JSON.createObjectNode().put("file", "tokenizer_1/tokenizer.json")
                .put("maxLength", 64).put("padId", 0));
        ((ArrayNode) encoderAt(1).at("/inputs/input_ids/shape")).set(1, 64);
        ((ArrayNode) encoderAt(1).at("/outputs/hidden_states/shape")).set(1, 64);
        refused("components.textEncoders.encoders[1].tokenizer.maxLength: sdxl joins CLIP-L's and CLIP-G's states"
                + " token by token, so both need the same length; got 77 and 64");
    }

    @Test
    void sd3NeedsT5AtLeastAsWideAsBothClipsTogether() {
        sd3();
        ((ArrayNode) encoderAt(2).at("/outputs/hidden_states/shape")).set(2, 1024);
        refused("components.textEncoders.encoders[2].outputs.hidden_states.shape[2]: sd3 zero-pads CLIP-L + CLIP-G"
                + " (2048 features) to T5's width, which must be at least that; got 1024");
    }

    @Test
    void theDenoisersTextInputsMustFitWhatTheRuleGives() {
        sd3();
        denoiserText(77, 4096, 1280);
        refused("components.denoiser.inputs.encoder_hidden_states.shape[1]: is 77 but sd3 gives this many tokens per"
                + " prompt: 333",
                "components.denoiser.inputs.pooled_text_embeds.shape[1]: is 1280 but sd3 gives a pooled embedding of"
                        + " this width: 2048");
        sdxl();
        denoiserText(77, 4096, 1280);
        refused("components.denoiser.inputs.encoder_hidden_states.shape[2]: is 4096 but sdxl gives this many features"
                + " per token: 2048");
    }

    @Test
    void thePooledInputIsRequiredWithSeveralEncodersAndRefusedWithOne() {
        sd3();
        bundle.at("/components/denoiser/inputs").remove("pooled_text_embeds");
        refused("components.denoiser.inputs.pooled_text_embeds: missing; the text encoders give a pooled embedding");
        bundle.json.removeAll();
        bundle.json.setAll(BundleFixture.docExample());
        denoiserInput("pooled_text_embeds", 768);
        refused("components.denoiser.inputs.pooled_text_embeds: only for several text encoders");
    }

    @Test
    void sizeConditioningIsForSdxlOnlyAndHoldsSixNumbers() {
        sd3();
        denoiserInput("time_ids", 6);
        refused("components.denoiser.inputs.time_ids: size conditioning is for sdxl only");
        sdxl();
        denoiserInput("time_ids", 5);
        refused("components.denoiser.inputs.time_ids.shape[1]: is 5 but SDXL's size conditioning (original size, crop,"
                + " target size) has this many numbers: 6");
        sdxl();
        bundle.at("/components/textEncoders").put("zerosForEmptyNegative", true);
        bundle.at("/components/textEncoders").put("combine", "sd3");
        refused("components.textEncoders.zerosForEmptyNegative: sd3 encodes the empty negative prompt");
    }

    @Test
    void eachEncodersFieldsAreCheckedLikeASingleEncoders() {
        sdxl();
        ObjectNode e = encoderAt(0);
        ((ObjectNode) e.get("tokenizer")).put("maxLength", 0).put("padId", -1);
        ((ObjectNode) e.at("/outputs/hidden_states")).put("dtype", "int64");
        ((ObjectNode) e.get("inputs")).putObject("pixels");
        ((ArrayNode) encoderAt(1).at("/outputs/pooled/shape")).add(3);
        refused("components.textEncoders.encoders[0].tokenizer.maxLength: must be in 1..4096, got 0",
                "components.textEncoders.encoders[0].tokenizer.padId: must be a token id >= 0, got -1",
                "components.textEncoders.encoders[0].outputs.hidden_states.dtype: must be float32, got int64",
                "components.textEncoders.encoders[0].inputs: unknown role 'pixels'",
                "components.textEncoders.encoders[1].outputs.pooled.shape: must have rank 2");
    }

    @Test
    void anUnknownFieldInAnEncoderIsNamed() {
        sdxl();
        encoderAt(1).put("clipSkip", 2);
        refused("components.textEncoders.encoders[1]: unknown field 'clipSkip'");
    }

    @Test
    void hostilePathsOfEncodersAndTheirTokenizersAreRefused() throws Exception {
        sdxl();
        Files.writeString(tmp.resolve("outside.onnx"), "secret");
        encoderAt(1).put("file", "../outside.onnx");
        ((ObjectNode) encoderAt(0).get("tokenizer")).put("file", tmp.resolve("outside.onnx").toString());
        refused("components.textEncoders.encoders[1].file: '../outside.onnx' contains '..'",
                "components.textEncoders.encoders[0].tokenizer.file: '" + tmp.resolve("outside.onnx") + "' is absolute");
    }

    @Test
    void aMissingEncoderListOrNullEncoderIsNamed() {
        sdxl();
        ((ArrayNode) bundle.json.at("/components/textEncoders/encoders")).set(0, BundleFixture.JSON.nullNode());
        refused("components.textEncoders.encoders[0]: is null");
        bundle.at("/components/textEncoders").remove("encoders");
        refused("components.textEncoders.encoders: missing");
    }
}
