package dev.sagestudio.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenizing with a small WordLevel tokenizer.json written here; truncation is reported. */
class PromptTokenizerTest {

    /**
     * WordLevel vocabulary, lower-casing normalizer, whitespace pre-tokenizer and a post-processor that wraps the
     * prompt in <s> ... </s>, like CLIP's BOS/EOS.
     */
    static final String TOKENIZER_JSON = """
            {
              "version": "1.0", "truncation": null, "padding": null,
              "added_tokens": [
                {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 5, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 6, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Lowercase"},
              "pre_tokenizer": {"type": "Whitespace"},
              "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {
                  "<s>": {"id": "<s>", "ids": [5], "tokens": ["<s>"]},
                  "</s>": {"id": "</s>", "ids": [6], "tokens": ["</s>"]}
                }
              },
              "decoder": null,
              "model": {
                "type": "WordLevel",
                "vocab": {"[PAD]": 0, "[UNK]": 1, "a": 2, "pizza": 3, "spinning": 4, "<s>": 5, "</s>": 6, "noto": 7,
                          "style": 8},
                "unk_token": "[UNK]"
              }
            }
            """;

    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void writeTokenizer() throws IOException {
        file = Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON);
    }

    @Test
    void onAGpuMachineTheTokenizerStillUsesTheCpuLibraryInItsJarAndNeverDownloads() throws Exception {
        // DJL picks a CUDA build of its library when it sees a CUDA GPU and downloads it (seen on the H100).
        try (var tok = PromptTokenizer.open(file, 8, 0, false)) {
            PromptTokenizer.OFFLINE_CPU_LIBRARY.forEach((key, value) -> {
                String actual = System.getenv(key) != null ? System.getenv(key) : System.getProperty(key);
                assertEquals(value, actual, key + " (set it to " + value + " or leave it unset)");
            });
        }
    }

    @Test
    void charactersTheTokenizerCannotRepresentAreReportedWithHowManyTokensBecameUnknown() throws Exception {
        try (var tok = PromptTokenizer.open(file, 8, 0, false)) {
            var t = tok.encode("a 🍕 pizza 寿司 🍕");
            assertEquals(java.util.List.of("🍕", "寿司", "🍕"), t.unknown());
            assertEquals("3 token(s) unknown to the model's tokenizer, which it reads as nothing meaningful:"
                    + " \"🍕\" (U+1F355), \"寿司\" (U+5BFF U+53F8)", t.unknownNote().orElseThrow());
            assertTrue(tok.encode("a pizza").unknownNote().isEmpty());
        }
    }

    @Test
    void aShortPromptIsWrappedInSpecialTokensAndPadded() throws Exception {
        try (var tok = PromptTokenizer.open(file, 8, 0, false)) {
            var t = tok.encode("A Pizza spinning");

            assertArrayEquals(new long[] {5, 2, 3, 4, 6, 0, 0, 0}, t.ids());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 0, 0, 0}, t.attentionMask());
            assertEquals(5, t.length());
            assertFalse(t.truncated());
            assertEquals("", t.truncationNote());
        }
    }

    @Test
    void unknownWordsMapToTheUnknownToken() throws Exception {
        try (var tok = PromptTokenizer.open(file, 6, 0, false)) {
            assertArrayEquals(new long[] {5, 2, 1, 6, 0, 0}, tok.encode("a ghost").ids());
        }
    }

    @Test
    void aLongPromptIsTruncatedKeepingTheEndTokenAndSaysSo() throws Exception {
        try (var tok = PromptTokenizer.open(file, 4, 0, false)) {
            var t = tok.encode("a pizza spinning noto style");

            assertArrayEquals(new long[] {5, 2, 3, 6}, t.ids());
            assertArrayEquals(new long[] {1, 1, 1, 1}, t.attentionMask());
            assertTrue(t.truncated());
            assertEquals(7, t.originalLength());
            assertEquals("prompt truncated: 7 tokens, the model reads the first 4", t.truncationNote());
        }
    }

    @Test
    void theEmptyPromptForGuidanceIsJustTheSpecialTokens() throws Exception {
        try (var tok = PromptTokenizer.open(file, 4, 9, false)) {
            var t = tok.encode("");
            assertArrayEquals(new long[] {5, 6, 9, 9}, t.ids()); // padded with the bundle's padId 9
            assertEquals(2, t.length());
        }
    }

    @Test
    void theNativeLibraryCameFromTheJarIntoOurCacheFolder() throws Exception {
        // Surefire sets ENGINE_CACHE_DIR to target/djl-cache (models/pom.xml); DJL copies the library out of its
        // jar there. A download would need network, which the offline check in the report ruled out too.
        try (var tok = PromptTokenizer.open(file, 4, 0, false)) {
            tok.encode("a");
        }
        Path cache = Path.of(System.getProperty("ENGINE_CACHE_DIR"), "tokenizers");
        try (var found = Files.walk(cache)) {
            assertTrue(found.anyMatch(p -> p.getFileName().toString().equals(System.mapLibraryName("tokenizers"))),
                    "no native tokenizers library under " + cache);
        }
    }

    @Test
    void aBrokenTokenizerFileIsReportedWithItsPath() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"model\": {\"type\": \"Nonsense\"}}");
        var e = assertThrows(IOException.class, () -> PromptTokenizer.open(broken, 4, 0, false));
        assertTrue(e.getMessage().contains("broken.json"), e.getMessage());
    }
}
