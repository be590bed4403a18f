package dev.sagestudio.models.onnx;

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
 */
public record AttentionNode(int nodeIndex, String nodeName, AttentionOp op, String query, String key, String value,
                            String output, int qHeads, int kvHeads, boolean causal, OptionalDouble scale,
                            Optional<String> keptReason) {

    public boolean substituted() {
        return keptReason.isEmpty();
    }

    /** Name for messages: the node's name, or its op and index when it has none. */
    public String label() {
        String name = nodeName.isEmpty() ? "#" + nodeIndex : "'" + nodeName + "'";
        return op.label() + " node " + name;
    }

    AttentionNode keptBecause(String reason) {
        return new AttentionNode(nodeIndex, nodeName, op, query, key, value, output, qHeads, kvHeads, causal, scale,
                Optional.of(reason));
    }
}
