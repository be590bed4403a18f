package dev.sagestudio.attention;

import dev.sagestudio.attention.tensor.HostTensor;
import java.util.Objects;

/**
 * One attention call on host tensors: O = softmax(scale · Q K^T [+ causal mask]) V.
 *
 * <p>Q is [B, Hq, Nq, D]; K and V are [B, Hkv, Nkv, D] with Hq a multiple of Hkv. All three share
 * one dtype and one layout; the output has Q's extents, dtype and layout.
 */
public record AttentionRequest(HostTensor q, HostTensor k, HostTensor v, boolean causal, double softmaxScale) {

    public AttentionRequest {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
            throw new IllegalArgumentException("q, k and v must share one dtype: " + q.describe() + ", "
                    + k.describe() + ", " + v.describe());
        }
        if (q.layout() != k.layout() || q.layout() != v.layout()) {
            throw new IllegalArgumentException("q, k and v must share one layout: " + q.describe() + ", "
                    + k.describe() + ", " + v.describe());
        }
        if (k.batch() != q.batch() || v.batch() != q.batch()) {
            throw new IllegalArgumentException("q, k and v must share one batch size: " + q.describe() + ", "
                    + k.describe() + ", " + v.describe());
        }
        if (k.headDim() != q.headDim() || v.headDim() != q.headDim()) {
            throw new IllegalArgumentException("q, k and v must share one head dimension: " + q.describe() + ", "
                    + k.describe() + ", " + v.describe());
        }
        if (k.heads() != v.heads() || k.tokens() != v.tokens()) {
            throw new IllegalArgumentException("k and v must have the same heads and tokens: " + k.describe() + ", "
                    + v.describe());
        }
        if (!(softmaxScale > 0) || Double.isInfinite(softmaxScale)) {
            throw new IllegalArgumentException("softmax scale must be a positive finite number, got " + softmaxScale);
        }
        // Validates head grouping and extents.
        new AttentionShape(q.batch(), q.heads(), k.heads(), q.tokens(), k.tokens(), q.headDim(), q.dtype(),
                q.layout(), causal);
    }

    /** A request with the default scale 1/sqrt(D). */
    public static AttentionRequest of(HostTensor q, HostTensor k, HostTensor v, boolean causal) {
        return new AttentionRequest(q, k, v, causal, 1.0 / Math.sqrt(q.headDim()));
    }

    public AttentionShape shape() {
        return new AttentionShape(q.batch(), q.heads(), k.heads(), q.tokens(), k.tokens(), q.headDim(), q.dtype(),
                q.layout(), causal);
    }
}
