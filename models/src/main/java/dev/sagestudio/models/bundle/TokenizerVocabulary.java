package dev.sagestudio.models.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The number of token ids a HuggingFace {@code tokenizer.json} defines (largest id + 1, over {@code model.vocab} —
 * an object of token → id, or Unigram's array of [token, score] — and {@code added_tokens}), so that a bundle's
 * {@code padId} can be checked against it when the bundle loads rather than fail inside ONNX Runtime at the first
 * prompt.
 */
final class TokenizerVocabulary {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TokenizerVocabulary() {
    }

    /** The vocabulary size, or empty when the file does not say (an unknown model type) or cannot be read. */
    static OptionalLong size(Path tokenizerJson) {
        JsonNode root;
        try {
            root = MAPPER.readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            return OptionalLong.empty(); // the tokenizer's own loader reports unreadable files with its reason
        }
        if (root == null) {
            return OptionalLong.empty();
        }
        long largest = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                largest = Math.max(largest, id.asLong(-1));
            }
        } else if (vocab.isArray()) {
            largest = vocab.size() - 1;
        } else {
            return OptionalLong.empty();
        }
        for (JsonNode added : root.path("added_tokens")) {
            largest = Math.max(largest, added.path("id").asLong(-1));
        }
        return largest < 0 ? OptionalLong.empty() : OptionalLong.of(largest + 1);
    }
}
