package dev.sagestudio.models.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What a bundle's HuggingFace {@code tokenizer.json} must satisfy beyond being readable, checked when the bundle
 * loads rather than at the first prompt: {@code padId} inside the vocabulary (largest id + 1, over
 * {@code model.vocab} — an object of token → id, or Unigram's array of [token, score] — and {@code added_tokens}),
 * and added tokens of at most {@value #MAX_ADDED_TOKEN_CHARS} characters: the tokenizer library's set-up time grows
 * with the square of their length (20,000 characters took 15 s, 100,000 minutes).
 */
final class TokenizerVocabulary {

    static final int MAX_ADDED_TOKEN_CHARS = 256;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final JsonNode root;

    private TokenizerVocabulary(JsonNode root) {
        this.root = root;
    }

    /** The file's facts, or null when it cannot be read as JSON (the tokenizer's own loader reports that). */
    static TokenizerVocabulary read(Path tokenizerJson) {
        try {
            JsonNode root = MAPPER.readTree(tokenizerJson.toFile());
            return root == null ? null : new TokenizerVocabulary(root);
        } catch (IOException e) {
            return null;
        }
    }

    /** The vocabulary size, or empty when the file does not say (an unknown model type). */
    OptionalLong size() {
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
        JsonNode added = root.path("added_tokens");
        for (int i = 0; added.isArray() && i < added.size(); i++) {
            largest = Math.max(largest, added.get(i).path("id").asLong(-1));
        }
        return largest < 0 ? OptionalLong.empty() : OptionalLong.of(largest + 1);
    }

    /** One problem per added token longer than {@link #MAX_ADDED_TOKEN_CHARS}. */
    List<String> overlongAddedTokens(String field) {
        List<String> problems = new ArrayList<>();
        JsonNode added = root.path("added_tokens");
        for (int i = 0; added.isArray() && i < added.size(); i++) {
            String content = added.get(i).path("content").asText("");
            if (content.length() > MAX_ADDED_TOKEN_CHARS) {
                problems.add(field + ": added_tokens[" + i + "] is " + content.length() + " characters long; at most "
                        + MAX_ADDED_TOKEN_CHARS + " (longer ones make the tokenizer library take minutes to load)");
            }
        }
        return problems;
    }
}
