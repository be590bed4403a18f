package dev.sagestudio.attention.tensor;

/**
 * Memory order of a 4-D attention tensor. The logical axes are always
 * (batch, heads, tokens, headDim); the layout says which of heads and tokens varies slower.
 */
public enum Layout {
    /** [B, H, N, D]: all tokens of one head are contiguous (PyTorch SDPA's order). */
    HND,
    /** [B, N, H, D]: all heads of one token are contiguous (what linear projections produce). */
    NHD;

    /** Flat offset of element (b, h, n, d) in a tensor of the given extents stored in this layout. */
    public long offset(int b, int h, int n, int d, int heads, int tokens, int headDim) {
        return switch (this) {
            case HND -> (((long) b * heads + h) * tokens + n) * headDim + d;
            case NHD -> (((long) b * tokens + n) * heads + h) * headDim + d;
        };
    }
}
