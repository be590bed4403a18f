package dev.sagestudio.models.onnx;

/**
 * Something that looks like attention but that the partitioner does not take, so ONNX Runtime runs
 * it as written: a Softmax between MatMuls that does not fit the decomposed form, or a fused
 * attention operator SageStudio has no substitution for.
 *
 * @param nodeIndex the node's index in the graph (the Softmax, or the fused operator)
 * @param nodeName its name, possibly empty
 * @param op its operator, as {@code domain::type} for other domains than ai.onnx
 * @param reason why it did not match, for {@code inspect}
 */
public record UnmatchedAttention(int nodeIndex, String nodeName, String op, String reason) {

    public String label() {
        return op + " node " + (nodeName.isEmpty() ? "#" + nodeIndex : "'" + nodeName + "'");
    }
}
