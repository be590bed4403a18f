package dev.sagestudio.attention;

import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;

/**
 * Everything about an attention call except its values: what a backend needs to decide whether it
 * can run it, and what a kernel launch needs to size its grid.
 *
 * <p>Causal masking is aligned to the top left, as in PyTorch's SDPA and ONNX {@code Attention}:
 * query row {@code i} sees key columns {@code j <= i}.
 */
public record AttentionShape(int batch, int qHeads, int kvHeads, int qLen, int kvLen, int headDim,
                             DType dtype, Layout layout, boolean causal) {

    public AttentionShape {
        if (batch <= 0 || qHeads <= 0 || kvHeads <= 0 || qLen <= 0 || kvLen <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("attention extents must be positive: " + describeExtents(
                    batch, qHeads, kvHeads, qLen, kvLen, headDim));
        }
        if (qHeads % kvHeads != 0) {
            throw new IllegalArgumentException("query heads (" + qHeads + ") must be a multiple of key/value heads ("
                    + kvHeads + ") for grouped-query attention");
        }
    }

    /** Query heads that share one key/value head (1 without grouped-query attention). */
    public int groupSize() {
        return qHeads / kvHeads;
    }

    /** The usual softmax scale, 1/sqrt(headDim). */
    public double defaultScale() {
        return 1.0 / Math.sqrt(headDim);
    }

    /** Multiply-adds of QK^T and PV, counted as 2 flops each: 4·B·H·Nq·Nkv·D, halved when causal and square. */
    public double flops() {
        double full = 4.0 * batch * qHeads * (double) qLen * kvLen * headDim;
        return causal && qLen == kvLen ? full / 2 : full;
    }

    public String describe() {
        return describeExtents(batch, qHeads, kvHeads, qLen, kvLen, headDim) + " " + dtype.label() + " " + layout
                + (causal ? " causal" : "");
    }

    private static String describeExtents(int batch, int qHeads, int kvHeads, int qLen, int kvLen, int headDim) {
        return "B=" + batch + " Hq=" + qHeads + " Hkv=" + kvHeads + " Nq=" + qLen + " Nkv=" + kvLen + " D=" + headDim;
    }
}
