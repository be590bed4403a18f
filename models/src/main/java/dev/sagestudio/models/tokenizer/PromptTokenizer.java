package dev.sagestudio.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sagestudio.models.bundle.ModelBundle;
import java.io.IOException;
import java.nio.file.Path;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.Locale;
import java.util.Objects;

/**
 * Turns a prompt into the text encoder's {@code input_ids} and {@code attention_mask}: HuggingFace
 * {@code tokenizer.json} (normalizer, pre-tokenizer, model, post-processor with special tokens) through DJL's
 * binding of the Rust {@code tokenizers} library, truncated to {@code maxLength} and padded with {@code padId}.
 *
 * <p>Offline: DJL's native library is inside its jar (linux-x86_64, linux-aarch64, osx-aarch64, win-x86_64) and is
 * extracted on first use to {@code $ENGINE_CACHE_DIR/tokenizers} (default {@code ~/.djl.ai/tokenizers}); it is
 * never downloaded. Only {@code HuggingFaceTokenizer.newInstance(String name)} would reach the network, and it is
 * not used here. On a machine with a CUDA GPU DJL would otherwise pick a CUDA build of that library, which is not in
 * the jar, and try to download it: {@link #OFFLINE_CPU_LIBRARY} pins the CPU build (tokenizing needs no GPU) and
 * DJL's offline mode, unless the user set them.
 */
public final class PromptTokenizer implements AutoCloseable {

    /** DJL settings (system properties) this class sets when absent: the jar's CPU library, never a download. */
    public static final java.util.Map<String, String> OFFLINE_CPU_LIBRARY = java.util.Map.of(
            "RUST_FLAVOR", "cpu", "ai.djl.offline", "true");

    static {
        OFFLINE_CPU_LIBRARY.forEach((key, value) -> {
            if (System.getProperty(key) == null && System.getenv(key) == null) {
                System.setProperty(key, value);
            }
        });
    }

    private final HuggingFaceTokenizer untruncated;
    private final HuggingFaceTokenizer truncating;
    private final int maxLength;
    private final long padId;
    private final boolean lowercase;
    /** The id of the unknown token ("[UNK]"), or -1 when the tokenizer has none (byte-level BPE never needs one). */
    private final long unknownId;

    private PromptTokenizer(Path tokenizerJson, int maxLength, long padId, boolean lowercase) throws IOException {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        this.maxLength = maxLength;
        this.padId = padId;
        this.lowercase = lowercase;
        this.unknownId = unknownTokenId(tokenizerJson);
        this.untruncated = build(tokenizerJson, false, maxLength);
        try {
            this.truncating = build(tokenizerJson, true, maxLength);
        } catch (IOException | RuntimeException e) {
            untruncated.close();
            throw e;
        }
    }

    private static HuggingFaceTokenizer build(Path file, boolean truncate, int maxLength) throws IOException {
        try {
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(truncate)
                    .optMaxLength(truncate ? maxLength : 1_000_000)
                    .optPadding(false)
                    .build();
        } catch (RuntimeException e) {
            // The Rust side reports malformed JSON as a RuntimeException; name the file.
            throw new IOException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens {@code tokenizerJson} (a HuggingFace tokenizers file). */
    public static PromptTokenizer open(Path tokenizerJson, int maxLength, long padId, boolean lowercase)
            throws IOException {
        return new PromptTokenizer(tokenizerJson, maxLength, padId, lowercase);
    }

    /**
     * The tokenizer a validated bundle with one text encoder declares (a bundle with several names one per encoder:
     * {@link ModelBundle#textEncoders()}).
     */
    public static PromptTokenizer forBundle(ModelBundle bundle) throws IOException {
        var spec = bundle.spec().tokenizer();
        if (spec == null) {
            throw new IllegalArgumentException(bundle.spec().name() + " has several text encoders, each with its own"
                    + " tokenizer (components.textEncoders)");
        }
        return open(bundle.tokenizerFile(), spec.maxLength(), spec.padId(), Boolean.TRUE.equals(spec.lowercase()));
    }

    /** Tokenizes {@code prompt} to exactly {@code maxLength} ids. */
    public Tokens encode(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        String text = lowercase ? prompt.toLowerCase(Locale.ROOT) : prompt;
        Encoding full = untruncated.encode(text);
        int originalLength = full.getIds().length;
        Encoding fitted = truncating.encode(text);
        long[] real = fitted.getIds();
        long[] ids = Arrays.copyOf(real, maxLength);
        long[] mask = new long[maxLength];
        for (int i = 0; i < maxLength; i++) {
            if (i < real.length) {
                mask[i] = 1;
            } else {
                ids[i] = padId;
            }
        }
        return new Tokens(ids, mask, real.length, originalLength, unknownPieces(text, full));
    }

    /** The pieces of {@code text} that became the unknown token, in order. */
    private List<String> unknownPieces(String text, Encoding encoding) {
        if (unknownId < 0) {
            return List.of();
        }
        long[] ids = encoding.getIds();
        CharSpan[] spans = encoding.getCharTokenSpans();
        List<String> pieces = new ArrayList<>();
        int codePoints = text.codePointCount(0, text.length());
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == unknownId) {
                // the spans count code points (the Rust side's chars), not Java's UTF-16 units
                CharSpan span = spans != null && i < spans.length ? spans[i] : null;
                boolean inside = span != null && span.getStart() >= 0 && span.getEnd() <= codePoints
                        && span.getStart() < span.getEnd();
                pieces.add(inside ? text.substring(text.offsetByCodePoints(0, span.getStart()),
                        text.offsetByCodePoints(0, span.getEnd())) : "?");
            }
        }
        return pieces;
    }

    /** "🍕" (U+1F355): the piece and its code points, so invisible or look-alike characters can be told apart. */
    static String quoted(String piece) {
        String codePoints = piece.codePoints().limit(4).mapToObj(c -> String.format(Locale.ROOT, "U+%04X", c))
                .collect(Collectors.joining(" "));
        String shown = piece.codePoints().anyMatch(Character::isISOControl) ? "" : "\"" + piece + "\" ";
        return shown + "(" + codePoints + (piece.codePointCount(0, piece.length()) > 4 ? " …" : "") + ")";
    }

    /** The unknown token's id from tokenizer.json ("model.unk_token" looked up in the vocabulary, or "unk_id"). */
    private static long unknownTokenId(Path tokenizerJson) {
        try {
            JsonNode model = new ObjectMapper().readTree(tokenizerJson.toFile()).path("model");
            if (model.path("unk_id").canConvertToLong()) {
                return model.path("unk_id").asLong();
            }
            String unk = model.path("unk_token").asText(null);
            JsonNode vocab = model.path("vocab");
            return unk != null && vocab.isObject() && vocab.has(unk) ? vocab.get(unk).asLong(-1) : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // the tokenizer itself reports a file it cannot read
        }
    }

    public int maxLength() {
        return maxLength;
    }

    @Override
    public void close() {
        untruncated.close();
        truncating.close();
    }

    /**
     * The encoded prompt: {@code ids} and {@code attentionMask} have exactly maxLength entries; {@code length}
     * real tokens (special tokens included) are followed by padding. {@code originalLength} is how many tokens
     * the prompt had before truncation; {@code unknown} the pieces of the prompt that became the unknown token.
     */
    public record Tokens(long[] ids, long[] attentionMask, int length, int originalLength, List<String> unknown) {

        public Tokens {
            unknown = List.copyOf(unknown);
        }

        /** A message for the user when parts of the prompt became unknown tokens, else empty. */
        public Optional<String> unknownNote() {
            if (unknown.isEmpty()) {
                return Optional.empty();
            }
            Set<String> distinct = new LinkedHashSet<>(unknown);
            return Optional.of(unknown.size() + " token(s) unknown to the model's tokenizer, which it reads as"
                    + " nothing meaningful: " + distinct.stream().map(PromptTokenizer::quoted)
                    .collect(Collectors.joining(", ")));
        }

        public boolean truncated() {
            return originalLength > length;
        }

        /** A message for the user when the prompt was cut, else empty. */
        public String truncationNote() {
            return truncated() ? "prompt truncated: " + originalLength + " tokens, the model reads the first "
                    + length : "";
        }
    }
}
