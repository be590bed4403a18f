package dev.sagestudio.models.bundle;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading refuses corrupt and hostile bundles with a message naming the field or file at fault. */
class ModelBundleTest {

    @TempDir
    Path tmp;
    Path dir;
    BundleFixture bundle;

    @BeforeEach
    void makeBundle() throws Exception {
        dir = Files.createDirectory(tmp.resolve("bundle"));
        bundle = new BundleFixture(dir);
    }

    /** Loads and expects a refusal whose message contains each of {@code fragments}. */
    private BundleException refused(String... fragments) {
        BundleException e = assertThrows(BundleException.class, bundle::load);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain \"" + f + "\" but was:\n" + e.getMessage());
        }
        return e;
    }

    @Test
    void aVideoBundleWithRankFiveSamplesLoads() throws Exception {
        var spec = bundle.video().load().spec();
        assertEquals(16, spec.sample().frames());
        assertEquals("[B, 3, 16, 64, 64]", spec.components().denoiser().outputs().get("model_output").shape().toString());
    }

    @Test
    void anOptionalVaeDecoderIsResolved() throws Exception {
        bundle.writeFile("vae/decoder.onnx", "x");
        bundle.at("/sample").put("channels", 4).put("latentScale", 8);
        for (String role : new String[] {"inputs/sample", "outputs/model_output"}) {
            ((ArrayNode) bundle.json.at("/components/denoiser/" + role + "/shape")).removeAll().add("B").add(4).add(8).add(8);
        }
        ObjectNode vae = bundle.at("/components").putObject("vaeDecoder").put("file", "vae/decoder.onnx")
                .put("scalingFactor", 0.18215);
        vae.putObject("inputs").putObject("latent").put("name", "z").put("dtype", "float32")
                .putArray("shape").add("B").add(4).add(8).add(8);
        vae.putObject("outputs").putObject("image").put("name", "img").put("dtype", "float32")
                .putArray("shape").add("B").add(3).add(64).add(64);

        ModelBundle loaded = bundle.load();

        assertEquals(dir.toRealPath().resolve("vae/decoder.onnx"), loaded.vaeDecoderFile().orElseThrow());
    }

    @Test
    void anUnknownSchemaVersionIsRefusedNamingTheSupportedOnes() {
        bundle.json.put("schemaVersion", 3);
        refused("schemaVersion 3 is not supported", "schemaVersion 1 and 2");
    }

    @Test
    void aSchemaOneBundleStillLoads() throws Exception {
        var spec = bundle.video().load().spec();
        assertEquals(1, spec.schemaVersion());
        assertEquals(16, spec.latentFrames(), "without a clip decoder the denoiser sees every frame");
    }

    /**
     * Schema 2: a 16-channel latent video of 21 latent frames at 1/8 of 480x832 that a causal video VAE decodes in one
     * call into 81 frames (Wan 2.1's shapes, shrunk in space).
     */
    private void clipDecoder(int schemaVersion, int frames, int temporalScale) {
        bundle.video();
        bundle.json.put("schemaVersion", schemaVersion);
        bundle.writeFile("vae_decoder.onnx", "x");
        int latentFrames = (frames - 1) / temporalScale + 1;
        bundle.at("/sample").put("frames", frames).put("channels", 16).put("latentScale", 8).put("fps", 16);
        for (String role : new String[] {"inputs/sample", "outputs/model_output"}) {
            ((ArrayNode) bundle.json.at("/components/denoiser/" + role + "/shape")).removeAll().add("B").add(16)
                    .add(latentFrames).add(8).add(8);
        }
        ObjectNode vae = bundle.at("/components").putObject("vaeDecoder").put("file", "vae_decoder.onnx")
                .put("temporalScale", temporalScale);
        vae.putObject("inputs").putObject("latent").put("name", "z").put("dtype", "float32")
                .putArray("shape").add(1).add(16).add(latentFrames).add(8).add(8);
        vae.putObject("outputs").putObject("image").put("name", "video").put("dtype", "float32")
                .putArray("shape").add(1).add(3).add(frames).add(64).add(64);
    }

    @Test
    void schemaTwoDecodesWholeClipsThatExpandTime() throws Exception {
        clipDecoder(2, 81, 4);
        var spec = bundle.load().spec();
        assertEquals(81, spec.sample().frames());
        assertEquals(21, spec.latentFrames());
        assertEquals(4, spec.components().vaeDecoder().temporalScale());
    }

    @Test
    void aClipDecoderInASchemaOneBundleIsRefused() {
        clipDecoder(1, 81, 4);
        refused("components.vaeDecoder.inputs.latent: a decoder of whole clips (rank 5) needs schemaVersion 2");
    }

    @Test
    void framesTheDecoderCannotMakeAreRefused() {
        clipDecoder(2, 81, 4);
        bundle.at("/sample").put("frames", 80);
        refused("sample.frames: 80 frames do not come out of a decoder with temporalScale 4", "e.g. 77");
    }

    @Test
    void aClipDecoderIsForVideoOnlyAndTemporalScaleForTheDecoderOnly() {
        clipDecoder(2, 81, 4);
        bundle.at("/components/denoiser").put("temporalScale", 2);
        refused("components.denoiser: temporalScale belongs to the vaeDecoder only");
    }

    @Test
    void aTemporalScaleOnAnImageDecoderIsRefused() {
        clipDecoder(2, 81, 4);
        ((ArrayNode) bundle.json.at("/components/vaeDecoder/inputs/latent/shape")).remove(2);
        refused("components.vaeDecoder.temporalScale: only for a decoder of whole clips");
    }

    @Test
    void aMissingSchemaVersionIsRefused() {
        bundle.json.remove("schemaVersion");
        refused("schemaVersion: missing");
    }

    @Test
    void aFolderWithoutModelJsonIsRefused() {
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
        assertTrue(e.getMessage().contains("model.json: 'model.json' does not exist"), e.getMessage());
    }

    @Test
    void aFileInsteadOfAFolderIsRefused() throws Exception {
        Path file = Files.writeString(tmp.resolve("model.json"), "{}");
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(file));
        assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
    }

    @Test
    void brokenJsonIsRefusedWithItsPosition() throws Exception {
        Files.writeString(dir.resolve("model.json"), "{\n  \"schemaVersion\": 1,\n  \"name\": \n}");
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
        assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("line 4"), e.getMessage());
    }

    @Test
    void duplicateKeysAreRefused() throws Exception {
        // A second "file" could smuggle a path past a reviewer who reads only the first.
        Files.writeString(dir.resolve("model.json"), "{\"schemaVersion\": 1, \"name\": \"a\", \"name\": \"b\"}");
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
        assertTrue(e.getMessage().contains("Duplicate field 'name'"), e.getMessage());
    }

    @Test
    void anOversizedModelJsonIsRefused() throws Exception {
        bundle.json.put("description", "x".repeat(1 << 20));
        refused("more than the limit of 1048576");
    }

    @Test
    void aMissingComponentFileIsRefused() throws Exception {
        Files.delete(dir.resolve("denoiser.onnx"));
        refused("components.denoiser.file: 'denoiser.onnx' does not exist");
    }

    @Test
    void aFolderWhereAFileIsExpectedIsRefused() throws Exception {
        Files.delete(dir.resolve("denoiser.onnx"));
        Files.createDirectory(dir.resolve("denoiser.onnx"));
        refused("components.denoiser.file: 'denoiser.onnx' is not a regular file");
    }

    @Test
    void pathsThatLeaveTheBundleAreRefused() throws Exception {
        Files.writeString(tmp.resolve("outside.onnx"), "secret");
        bundle.at("/components/denoiser").put("file", "../outside.onnx");
        bundle.at("/components/textEncoder").put("file", tmp.resolve("outside.onnx").toString());
        bundle.at("/tokenizer").put("file", "sub\\..\\tokenizer.json");
        bundle.at("/license").put("file", "C:/Windows/win.ini");
        refused("components.denoiser.file: '../outside.onnx' contains '..'",
                "components.textEncoder.file: '" + tmp.resolve("outside.onnx") + "' is absolute",
                "tokenizer.file: 'sub\\..\\tokenizer.json' contains a backslash",
                "license.file: 'C:/Windows/win.ini' is absolute");
    }

    @Test
    void aSymlinkPointingOutOfTheBundleIsRefused() throws Exception {
        Path outside = Files.writeString(tmp.resolve("outside.onnx"), "secret");
        Files.delete(dir.resolve("denoiser.onnx"));
        Files.createSymbolicLink(dir.resolve("denoiser.onnx"), outside);
        refused("components.denoiser.file: 'denoiser.onnx' leads outside the bundle folder");
    }

    @Test
    void aSymlinkedFolderPointingOutOfTheBundleIsRefused() throws Exception {
        Path outsideDir = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.writeString(outsideDir.resolve("denoiser.onnx"), "secret");
        Files.createSymbolicLink(dir.resolve("weights"), outsideDir);
        bundle.at("/components/denoiser").put("file", "weights/denoiser.onnx");
        refused("'weights/denoiser.onnx' leads outside the bundle folder");
    }

    @Test
    void aModelJsonSymlinkedFromOutsideIsRefused() throws Exception {
        Path outside = Files.writeString(tmp.resolve("evil.json"), BundleFixture.docExample().toString());
        Files.createSymbolicLink(dir.resolve("model.json"), outside);
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
        assertTrue(e.getMessage().contains("leads outside the bundle folder"), e.getMessage());
    }

    @Test
    void aSymlinkStayingInsideTheBundleIsAccepted() throws Exception {
        Files.move(dir.resolve("denoiser.onnx"), dir.resolve("denoiser-v2.onnx"));
        Files.createSymbolicLink(dir.resolve("denoiser.onnx"), Path.of("denoiser-v2.onnx"));
        assertEquals(dir.toRealPath().resolve("denoiser-v2.onnx"), bundle.load().denoiserFile());
    }

    @Test
    void externalDataLocationsAreResolvedRelativeToTheirOnnxFileAndKeptInside() throws Exception {
        bundle.writeFile("unet/denoiser.onnx.data", "weights");
        Path root = dir.toRealPath();
        assertEquals(root.resolve("unet/denoiser.onnx.data"),
                BundlePaths.resolveInside(root, root.resolve("unet"), "denoiser.onnx.data", 100));
        var e = assertThrows(BundlePaths.PathException.class,
                () -> BundlePaths.resolveInside(root, root.resolve("unet"), "../../x.data", 100));
        assertTrue(e.getMessage().contains("contains '..'"), e.getMessage());
        var big = assertThrows(BundlePaths.PathException.class,
                () -> BundlePaths.resolveInside(root, root.resolve("unet"), "denoiser.onnx.data", 3));
        assertTrue(big.getMessage().contains("more than the limit of 3"), big.getMessage());
    }

    @Test
    void anUnknownFieldIsRefusedWithTheKnownOnes() {
        bundle.at("/scheduler").put("betaStrat", 0.001);
        refused("scheduler: unknown field 'betaStrat'", "known: betaEnd, betaSchedule, betaStart");
    }

    @Test
    void extensionsMayHoldAnything() throws Exception {
        bundle.json.putObject("extensions").put("x-trainer", "anything").putArray("list").add(1);
        assertEquals("anything", bundle.load().spec().extensions().get("x-trainer").asText());
    }

    @Test
    void anUnknownEnumValueIsRefusedWithTheAcceptedOnes() {
        bundle.json.put("prediction", "sample");
        refused("prediction: unknown value 'sample'; expected one of: epsilon, v, flow");
    }

    @Test
    void anUnknownSchedulerNameIsRefusedWithTheAcceptedOnes() {
        bundle.at("/scheduler").put("name", "unipc");
        refused("scheduler.name: unknown value 'unipc'; expected one of: ddim, euler, euler_ancestral, dpmpp_2m, flow_euler");
    }

    @Test
    void numbersMustHaveTheirType() {
        bundle.at("/defaults").put("steps", 2.5);
        refused("defaults.steps");
    }

    @Test
    void numbersWrittenAsStringsAreRefused() {
        bundle.at("/tokenizer").put("maxLength", "32");
        refused("tokenizer.maxLength");
    }

    @Test
    void aValueOfTheWrongJsonTypeIsNamedInTheDocumentsTermsWithoutJacksonInternals() {
        String[][] cases = {
            {"", "components", "\"x\"", "components: expected an object, got the string \"x\""},
            {"/defaults", "steps", "\"4\"", "defaults.steps: expected an integer, got the string \"4\""},
            {"/sample", "height", "2.5", "sample.height: expected an integer, got the number 2.5"},
            {"/tokenizer", "padId", "true", "tokenizer.padId: expected an integer, got true"},
            {"/license", "attribution", "\"me\"", "license.attribution: expected an array, got the string \"me\""},
            {"/components/denoiser", "inputs", "[]", "components.denoiser.inputs: expected an object, got an array"},
        };
        for (String[] c : cases) {
            makeBundleAgain();
            bundle.at(c[0]).set(c[1], readJson(c[2]));
            BundleException e = refused(c[3]);
            for (String internal : new String[] {"CoercionConfig", "$", "dev.sagestudio", "`", "Cannot "}) {
                assertFalse(e.getMessage().contains(internal), internal + " in: " + e.getMessage());
            }
        }
    }

    private void makeBundleAgain() {
        bundle = new BundleFixture(dir);
    }

    private static com.fasterxml.jackson.databind.JsonNode readJson(String text) {
        try {
            return BundleFixture.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPadIdBeyondTheTokenizersVocabularyIsRefusedWhenTheBundleLoads() {
        bundle.writeFile("tokenizer.json", """
                {"model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[UNK]": 1, "a": 2}},
                 "added_tokens": [{"id": 3, "content": "<s>"}]}
                """);
        bundle.at("/tokenizer").put("padId", 4);
        refused("tokenizer.padId: 4 is not in the vocabulary of tokenizer.json (ids 0..3)");
    }

    @Test
    void anAddedTokenSoLongThatTheTokenizerLibraryWouldTakeMinutesIsRefused() {
        bundle.writeFile("tokenizer.json", """
                {"model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[UNK]": 1}},
                 "added_tokens": [{"id": 1, "content": "%s"}]}
                """.formatted("x".repeat(20_000)));
        refused("tokenizer.file tokenizer.json: added_tokens[0] is 20000 characters long; at most 256");
    }

    @Test
    void casesTheFuzzTestFoundAreClearErrors() {
        // a null dimension where the text encoder's and the denoiser's widths are compared (was a NullPointerException)
        ((com.fasterxml.jackson.databind.node.ArrayNode) bundle.json.at(
                "/components/denoiser/inputs/encoder_hidden_states/shape")).set(2, (com.fasterxml.jackson.databind.JsonNode) null);
        refused("components.denoiser.inputs.encoder_hidden_states.shape: must have rank 3");
        // added_tokens that is not an array (was a NullPointerException in the padId check)
        makeBundleAgain();
        bundle.writeFile("tokenizer.json", """
                {"model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[UNK]": 1}},
                 "added_tokens": {"name": "sample"}}
                """);
        assertDoesNotThrow(bundle::load);
    }

    @Test
    void everyMissingRequiredFieldIsListedAtOnce() {
        bundle.json.remove(List.of("displayName", "kind", "license", "defaults"));
        BundleException e = refused("displayName: missing", "kind: missing", "license: missing", "defaults: missing");
        assertTrue(e.problems().size() >= 4, e.problems().toString());
    }

    @Test
    void aBadNameIsRefused() {
        bundle.json.put("name", "../Evil Name");
        refused("name: must match");
    }

    @Test
    void aSampleChannelCountDifferentFromTheDenoiserIsRefused() {
        bundle.at("/components/denoiser/inputs/sample").putArray("shape").add("B").add(4).add(64).add(64);
        refused("components.denoiser.inputs.sample.shape[1]: is 4 but sample/tokenizer settings require 3",
                "model_output.shape: must equal inputs.sample.shape");
    }

    @Test
    void aVideoModelNeedsARankFiveSample() {
        bundle.json.put("kind", "video");
        bundle.at("/sample").put("frames", 16).put("fps", 8);
        refused("components.denoiser.inputs.sample.shape: must have rank 5");
    }

    @Test
    void anImageModelHasOneFrameAndNoFrameRate() {
        bundle.at("/sample").put("frames", 4).put("fps", 8);
        refused("sample.frames: an image model needs frames = 1, got 4", "sample.fps: only a video model");
    }

    @Test
    void aVideoModelNeedsAFrameRate() {
        bundle.video();
        bundle.at("/sample").remove("fps");
        refused("sample.fps: must be in 1..120, got null");
    }

    @Test
    void impossibleDimensionsAreRefused() {
        bundle.at("/components/denoiser/inputs/timestep").putArray("shape").add(-1);
        refused("components.denoiser.inputs.timestep.shape[0]: a dimension must be a positive integer");
    }

    @Test
    void theTextEncoderAndDenoiserMustAgreeOnHiddenSize() {
        bundle.at("/components/denoiser/inputs/encoder_hidden_states").putArray("shape").add("B").add(32).add(512);
        refused("the text encoder outputs 256 channels but the denoiser takes 512");
    }

    @Test
    void aFixedSequenceLengthMustEqualTheTokenizerMaxLength() {
        bundle.at("/tokenizer").put("maxLength", 77);
        refused("components.textEncoder.inputs.input_ids.shape[1]: is 32 but sample/tokenizer settings require 77");
    }

    @Test
    void wrongDtypesAreRefused() {
        bundle.at("/components/textEncoder/inputs/input_ids").put("dtype", "int32");
        bundle.at("/components/denoiser/inputs/timestep").put("dtype", "int64");
        refused("input_ids.dtype: must be int64, got int32", "timestep.dtype: must be float32, got int64");
    }

    @Test
    void missingAndUnknownRolesAreRefused() {
        bundle.at("/components/denoiser/inputs").remove("timestep");
        bundle.at("/components/denoiser/inputs").set("t", bundle.json.at("/components/denoiser/inputs/sample"));
        refused("components.denoiser.inputs.timestep: missing", "unknown role 't'");
    }

    @Test
    void withoutVaeTheSampleMustBeRgbPixels() {
        bundle.at("/sample").put("latentScale", 2);
        refused("components.vaeDecoder: missing");
    }

    @Test
    void theSchedulerMustFitThePredictionType() {
        bundle.at("/scheduler").put("name", "ddim");
        bundle.at("/defaults").put("scheduler", "euler");
        refused("scheduler.name: ddim cannot sample a model with prediction 'flow'; use flow_euler",
                "defaults.scheduler: euler cannot sample");
    }

    @Test
    void betaScheduleFieldsDoNotApplyToFlow() {
        bundle.at("/scheduler").put("betaSchedule", "linear");
        refused("scheduler.betaSchedule: does not apply to flow prediction");
    }

    @Test
    void epsilonModelsNeedAValidBetaSchedule() {
        bundle.json.put("prediction", "epsilon");
        bundle.json.putObject("scheduler").put("name", "ddim").put("betaSchedule", "linear")
                .put("betaStart", 0.02).put("betaEnd", 0.001);
        refused("scheduler: need 0 < betaStart <= betaEnd < 1");
    }

    @Test
    void guidanceBelowOneIsRefused() {
        bundle.at("/defaults").put("guidanceScale", 0.5);
        refused("defaults.guidanceScale: must be in 1..100");
    }

    @Test
    void aValueRangeMustBeIncreasing() {
        bundle.at("/output").putArray("valueRange").add(1.0).add(-1.0);
        refused("output.valueRange: must be [lo, hi] with finite lo < hi");
    }

    @Test
    void everyAttributionNamesItsSourceLicenseAndUrl() {
        ((ObjectNode) bundle.json.at("/license/attribution/1")).remove("url");
        refused("license.attribution[1].url: missing or empty");
    }

    @Test
    void aTrainingRecordMustSayHowTheModelWasTrained() {
        bundle.at("/training").remove(List.of("hardware", "seed"));
        refused("training.hardware: missing", "training.seed: missing");
    }
}
