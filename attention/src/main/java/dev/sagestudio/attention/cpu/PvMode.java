package dev.sagestudio.attention.cpu;

import java.util.Locale;

/** How the emulator multiplies the softmax probabilities P with V (and accumulates the result). */
public enum PvMode {
    /** P and V in FP16, products accumulated in FP32 (SageAttention's {@code sv_f16_accum_f32}). */
    FP16("fp16"),
    /**
     * P and V in FP16; inside one key block of 64 the sum is accumulated in FP16 (rounded after
     * every {@code mma.m16n8k16}, i.e. every 16 keys), then added to an FP32 accumulator
     * ({@code sv_f16_accum_f16} with FP32 between blocks).
     */
    FP16_ACCUM_FP16("fp16acc"),
    /**
     * SageAttention2's FP8 PV: P scaled by the static 448 and rounded to E4M3; V per-channel scaled
     * to E4M3; each key block is accumulated in the FP22 accumulator (truncated after every
     * {@code mma.m16n8k32}, i.e. every 32 keys), then added to an FP32 accumulator (two-level
     * accumulation).
     */
    FP8("fp8"),
    /**
     * P quantized to INT8 with the static scale 1/127 (P ≤ 1) and V to per-channel INT8, exact
     * integer accumulation per key block, FP32 between blocks. Included to show why SageAttention
     * does not do this: small probabilities round to zero.
     */
    INT8("int8");

    private final String label;

    PvMode(String label) {
        this.label = label;
    }

    /** Name as it appears in backend names, e.g. {@code fp16acc}. */
    public String label() {
        return label;
    }

    /** Parses {@link #label()} or the enum name, case-insensitively. */
    public static PvMode parse(String text) {
        for (PvMode mode : values()) {
            if (mode.label.equalsIgnoreCase(text) || mode.name().equalsIgnoreCase(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown PV mode '" + text + "'; expected fp16, fp16acc, fp8 or int8");
    }

    @Override
    public String toString() {
        return label.toLowerCase(Locale.ROOT);
    }
}
