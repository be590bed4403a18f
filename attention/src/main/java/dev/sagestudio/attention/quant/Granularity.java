package dev.sagestudio.attention.quant;

import java.util.Locale;

/**
 * How many rows of Q and K share one INT8 scale. The groupings are those of SageAttention's
 * quantization kernels, so a GPU kernel that reads these scales sees the same numbers as the CPU
 * emulator. Tokens are counted from 0 within one (batch, head); a tail block simply has fewer rows
 * (the GPU pads it with zeros, which do not change a maximum).
 *
 * <ul>
 *   <li>{@link #PER_BLOCK}: one scale per 128 consecutive Q rows and per 64 consecutive K rows
 *       (SageAttention's {@code per_block_int8}, BLKQ = 128, BLKK = 64).
 *   <li>{@link #PER_WARP}: one scale per 32 consecutive Q rows, that is per warp of a 128-row
 *       query block processed by 4 warps; K keeps one scale per 64-row block (SageAttention's
 *       {@code per_warp_int8}, BLKQ = 128, WARPQ = 32, BLKK = 64). The GPU kernels use exactly this.
 *   <li>{@link #PER_THREAD}: SageAttention2's {@code per_thread_int8}: the groups follow which rows
 *       one thread holds in the {@code mma.m16n8k32} fragments. Q: inside each 32-row warp group,
 *       rows with the same index modulo 8 share a scale, so group = (n / 32) · 8 + n mod 8 (8 scales
 *       per warp, 4 rows each). K: inside each 64-row block, rows 8t + 2g and 8t + 2g + 1
 *       (t = 0..7) share a scale, so group = (n / 64) · 4 + (n mod 8) / 2 (4 scales per block, 16
 *       rows each).
 * </ul>
 */
public enum Granularity {
    PER_BLOCK,
    PER_WARP,
    PER_THREAD;

    /** Query rows per GPU thread block (CTA). */
    public static final int Q_BLOCK = 128;
    /** Query rows per warp. */
    public static final int Q_WARP = 32;
    /** Key rows per block, also the key block size of the online softmax. */
    public static final int K_BLOCK = 64;

    /** The scale group of query row {@code n}. */
    public int queryGroup(int n) {
        return switch (this) {
            case PER_BLOCK -> n / Q_BLOCK;
            case PER_WARP -> n / Q_WARP;
            case PER_THREAD -> (n / Q_WARP) * 8 + n % 8;
        };
    }

    /** The scale group of key row {@code n}. */
    public int keyGroup(int n) {
        return switch (this) {
            case PER_BLOCK, PER_WARP -> n / K_BLOCK;
            case PER_THREAD -> (n / K_BLOCK) * 4 + (n % 8) / 2;
        };
    }

    /** Number of query scale groups for {@code rows} rows (the GPU's scale tensor length). */
    public int queryGroups(int rows) {
        int blocks = ceilDiv(rows, Q_BLOCK);
        return switch (this) {
            case PER_BLOCK -> blocks;
            case PER_WARP -> blocks * (Q_BLOCK / Q_WARP);
            case PER_THREAD -> blocks * (Q_BLOCK / Q_WARP) * 8;
        };
    }

    /** Number of key scale groups for {@code rows} rows. */
    public int keyGroups(int rows) {
        int blocks = ceilDiv(rows, K_BLOCK);
        return this == PER_THREAD ? blocks * 4 : blocks;
    }

    /** Lower-case, hyphenated name as used on command lines, e.g. {@code per-warp}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses {@link #label()} (or the enum name), case-insensitively. */
    public static Granularity parse(String text) {
        for (Granularity g : values()) {
            if (g.label().equalsIgnoreCase(text) || g.name().equalsIgnoreCase(text)) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown quantization granularity '" + text
                + "'; expected per-block, per-warp or per-thread");
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
