package dev.sagestudio.models.onnx;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One attention node of a graph and what SageStudio will do with it: run it with an attention
 * backend ({@link #substituted()}) or leave it inside ONNX Runtime for the stated reason.
 *
 * @param nodeIndex position in the graph's node list
 * @param query name of the Q tensor ([B, Hq, Nq, D] or [B, Nq, Hq·D])
 * @param key name of the K tensor
 * @param value name of the V tensor
 * @param output name of the attention output
 * @param qHeads head count from the node's attributes, 0 when the node does not say
 * @param kvHeads key/value head count from the attributes, 0 when the node does not say
 * @param causal whether query i only sees keys j <= i (top-left aligned)
 * @param scale the softmax scale the node sets, empty for the default 1/sqrt(D)
 * @param keptReason why ONNX Runtime keeps this node, empty when SageStudio runs it
 * @param pattern how the attention was recognized, for {@code inspect} (e.g. the operator, or the
 *     chain of nodes of a decomposed attention with where its scale and K's transpose were found)
 * @param coveredNodes indices of the graph nodes this attention replaces when substituted: the node
 *     itself, or every node of a decomposed attention from the scaling of Q and K to the MatMul with V
 */
public record AttentionNode(int nodeIndex, String nodeName, AttentionOp op, String query, String key, String value,
                            String output, int qHeads, int kvHeads, boolean causal, OptionalDouble scale,
                            Optional<String> keptReason, String pattern, List<Integer> coveredNodes) {

    public boolean substituted() {
        return keptReason.isEmpty();
    }

    /** Name for messages: the node's name, or its op and index when it has none. */
    public String label() {
        String name = nodeName.isEmpty() ? "#" + nodeIndex : "'" + nodeName + "'";
        return op == AttentionOp.DECOMPOSED ? "decomposed attention ending at MatMul node " + name
                : op.label() + " node " + name;
    }

    /** Whether a 3-D Q holds [B·H, N, D] (heads folded into the batch) rather than [B, N, H·D]. */
    public boolean headsInBatch() {
        return op == AttentionOp.DECOMPOSED;
    }

    AttentionNode keptBecause(String reason) {
        return new AttentionNode(nodeIndex, nodeName, op, query, key, value, output, qHeads, kvHeads, causal, scale,
                Optional.of(reason), pattern, coveredNodes);
    }

    AttentionNode withInputs(String newQuery, String newKey, String newValue, String newPattern) {
        return new AttentionNode(nodeIndex, nodeName, op, newQuery, newKey, newValue, output, qHeads, kvHeads, causal,
                scale, keptReason, newPattern, coveredNodes);
    }
}
