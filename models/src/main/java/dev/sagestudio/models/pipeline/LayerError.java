package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.metrics.AccuracyMetrics;

/**
 * The attention error of both backends on one real attention call captured during backend A's run: the same Q, K
 * and V through A, through B, and exactly (float64 reference).
 *
 * @param step denoising step (0-based)
 * @param node the attention node ({@code label()} of the ONNX node)
 * @param part which guidance half the call computed: "cond+uncond" (one batch), "cond" or "uncond"
 * @param aVsExact backend A against the exact result
 * @param bVsExact backend B against the exact result
 * @param bVsA backend B against backend A
 */
public record LayerError(int step, String node, String part, AttentionShape shape, AccuracyMetrics aVsExact,
                         AccuracyMetrics bVsExact, AccuracyMetrics bVsA) {
}
