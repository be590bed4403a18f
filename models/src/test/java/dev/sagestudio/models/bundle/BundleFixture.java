package dev.sagestudio.models.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bundle folder made in a test: the example model.json of docs/model-bundle.md plus placeholder
 * files (the loader checks that files exist; parsing ONNX is the ONNX loader's job).
 */
final class BundleFixture {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path DOC = Path.of(System.getProperty("user.dir")).resolve("../docs/model-bundle.md").normalize();

    final Path dir;
    final ObjectNode json;

    BundleFixture(Path dir) {
        this.dir = dir;
        this.json = docExample();
        for (String f : new String[] {"text_encoder.onnx", "denoiser.onnx", "tokenizer.json", "LICENSE.md"}) {
            writeFile(f, "placeholder " + f);
        }
    }

    /** The ```json block of the format document. */
    static ObjectNode docExample() {
        try {
            Matcher m = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
            if (!m.find()) {
                throw new IllegalStateException("no ```json block in " + DOC);
            }
            return (ObjectNode) JSON.readTree(m.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Turns the example into a 16-frame video bundle. */
    BundleFixture video() {
        json.put("kind", "video");
        ObjectNode sample = (ObjectNode) json.get("sample");
        sample.put("frames", 16).put("fps", 8);
        for (String role : new String[] {"inputs/sample", "outputs/model_output"}) {
            ArrayNode shape = (ArrayNode) json.at("/components/denoiser/" + role + "/shape");
            shape.insert(2, 16);
        }
        return this;
    }

    ObjectNode at(String pointer) {
        return (ObjectNode) json.at(pointer);
    }

    void writeFile(String relative, String content) {
        try {
            Path p = dir.resolve(relative);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ModelBundle load() throws BundleException {
        writeFile("model.json", json.toPrettyString());
        return ModelBundle.load(dir);
    }
}
