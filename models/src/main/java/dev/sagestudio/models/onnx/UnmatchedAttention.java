package dev.sagestudio.models.onnx;

/**
 * Something that looks like attention (a Softmax fed by a MatMul, or feeding one) but that the
 * partitioner did not recognize, so ONNX Runtime runs it as written.
 *
 * @param nodeIndex the Softmax node's index in the graph
 * @param nodeName its name, possibly empty
 * @param reason why it did not match, for {@code inspect}
 */
public record UnmatchedAttention(int nodeIndex, String nodeName, String reason) {

    public String label() {
        return "Softmax node " + (nodeName.isEmpty() ? "#" + nodeIndex : "'" + nodeName + "'");
    }
}
