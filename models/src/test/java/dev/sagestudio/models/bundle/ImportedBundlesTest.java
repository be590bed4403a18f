package dev.sagestudio.models.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.bundle.ModelSpec.TextCombine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model.json that models/import/sagestudio_import.py writes for the released SD3.5-medium, SDXL-base and Wan 2.1
 * T2V 1.3B configurations (written by {@code models/import/test_bundle_json.py --write-fixtures} with the importer's
 * own writer, bundle_json.py, and checked against it there) loads as schemaVersion 2 with every file in place.
 */
class ImportedBundlesTest {

    @TempDir
    Path tmp;

    /** The fixture's model.json in a folder of its own, with a placeholder for each file it names. */
    private ModelBundle load(String fixture) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(fixture));
        JsonNode json;
        try (InputStream in = ImportedBundlesTest.class.getResourceAsStream("/bundles/imported/" + fixture
                + "/model.json")) {
            json = BundleFixture.JSON.readTree(in);
        }
        BundleFixture.JSON.writeValue(dir.resolve("model.json").toFile(), json);
        for (JsonNode file : json.findValues("file")) {
            Path path = dir.resolve(file.asText());
            Files.createDirectories(path.getParent());
            writePlaceholder(path);
        }
        return ModelBundle.load(dir);
    }

    private static void writePlaceholder(Path path) throws IOException {
        Files.writeString(path, "placeholder " + path.getFileName());
    }

    @Test
    void sd35MediumLoadsWithThreeEncodersCombinedBySd3() throws Exception {
        ModelBundle bundle = load("sd35-medium");
        ModelSpec spec = bundle.spec();
        assertEquals(2, spec.schemaVersion());
        assertEquals(TextCombine.SD3, spec.components().textEncoders().combine());
        assertEquals(3, bundle.textEncoders().size());
        assertNull(spec.tokenizer());
        assertEquals(16, spec.sample().channels());
        assertEquals(1.5305, spec.components().vaeDecoder().scalingFactor());
        assertEquals(0.0609, spec.components().vaeDecoder().shiftFactor());
        assertEquals(3.0, spec.scheduler().shift());
    }

    @Test
    void sdxlBaseLoadsWithTwoEncodersZerosForTheEmptyNegativeAndSizeConditioning() throws Exception {
        ModelSpec spec = load("sdxl-base").spec();
        assertEquals(TextCombine.SDXL, spec.components().textEncoders().combine());
        assertEquals(Boolean.TRUE, spec.components().textEncoders().zerosForEmptyNegative());
        assertEquals("time_ids", spec.components().denoiser().inputs().get("time_ids").name());
        assertEquals(0.13025, spec.components().vaeDecoder().scalingFactor());
    }

    @Test
    void wan21LoadsAsAVideoWhoseDecoderTakesTheWholeClip() throws Exception {
        ModelSpec spec = load("wan21-t2v-1.3b").spec();
        assertEquals(2, spec.schemaVersion());
        assertEquals(Kind.VIDEO, spec.kind());
        assertEquals(4, spec.components().vaeDecoder().temporalScaleOrOne());
        assertEquals(21, spec.latentFrames());
        assertEquals(81, spec.sample().frames());
    }
}
