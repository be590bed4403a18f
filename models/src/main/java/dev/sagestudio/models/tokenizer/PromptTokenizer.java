package dev.sagestudio.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sagestudio.models.bundle.ModelBundle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
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

    private PromptTokenizer(Path tokenizerJson, int maxLength, long padId, boolean lowercase) throws IOException {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        this.maxLength = maxLength;
        this.padId = padId;
        this.lowercase = lowercase;
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

    /** The tokenizer a validated bundle declares. */
    public static PromptTokenizer forBundle(ModelBundle bundle) throws IOException {
        var spec = bundle.spec().tokenizer();
        return open(bundle.tokenizerFile(), spec.maxLength(), spec.padId(), Boolean.TRUE.equals(spec.lowercase()));
    }

    /** Tokenizes {@code prompt} to exactly {@code maxLength} ids. */
    public Tokens encode(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        String text = lowercase ? prompt.toLowerCase(Locale.ROOT) : prompt;
        int originalLength = untruncated.encode(text).getIds().length;
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
        return new Tokens(ids, mask, real.length, originalLength);
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
     * the prompt had before truncation.
     */
    public record Tokens(long[] ids, long[] attentionMask, int length, int originalLength) {

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
