package dev.sagestudio.models.onnx;

import java.util.List;

/**
 * Every attention found in a graph, and what looked like attention but did not match.
 *
 * @param model the model the attention nodes refer to: the scanned model, plus the nodes added to give
 *     substituted attention its inputs in the form backends read (see {@link AttentionNode#pattern()})
 * @param attention every attention found, substituted or kept, in node order
 * @param unmatched Softmax nodes between two MatMuls that were not recognized as attention, with why
 */
public record AttentionScan(OnnxModel model, List<AttentionNode> attention, List<UnmatchedAttention> unmatched) {
}
