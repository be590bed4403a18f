package dev.sagestudio.models.onnx;

import java.util.List;

/**
 * A graph cut at its substituted attention nodes: steps in execution order, each reading tensors
 * that the caller or earlier steps provide.
 *
 * @param model the partitioned model: the given one plus any nodes added to lay out attention inputs
 * @param attentionNodes every attention found, substituted or kept, with the decision
 * @param unmatched what looked like attention but was not recognized, with the reason
 * @param graphInputs the inputs the caller must provide (graph inputs that are not initializers)
 * @param graphOutputs the graph's outputs in declaration order
 * @param rewrites what was rewritten in the graph before it was cut (same values, faster in ONNX Runtime)
 */
public record PartitionPlan(OnnxModel model, List<AttentionNode> attentionNodes, List<UnmatchedAttention> unmatched,
                            List<Step> steps,
                            List<String> graphInputs, List<String> graphOutputs, List<String> rewrites) {

    public long segmentCount() {
        return steps.stream().filter(s -> s instanceof OrtSegment).count();
    }

    public List<AttentionStep> attentionSteps() {
        return steps.stream().filter(s -> s instanceof AttentionStep).map(s -> (AttentionStep) s).toList();
    }

    /**
     * A warning when {@code backend} would run none of this graph's attention: every attention stays in
     * ONNX Runtime, or none was found. Empty when at least one attention step runs on it.
     */
    public java.util.Optional<String> noAttentionWarning(String backend) {
        if (!attentionSteps().isEmpty()) {
            return java.util.Optional.empty();
        }
        String found = attentionNodes().isEmpty() ? "no attention was found"
                : "all " + attentionNodes().size() + " attention(s) stay in ONNX Runtime (reasons listed)";
        String near = unmatched().isEmpty() ? "" : "; " + unmatched().size()
                + " node(s) look like attention but did not match (see `sagestudio inspect`)";
        return java.util.Optional.of("WARNING: " + backend + " runs none of this graph's attention: " + found + near
                + "; every attention runs inside ONNX Runtime");
    }

    public String describe() {
        StringBuilder out = new StringBuilder();
        out.append(steps.size()).append(" step(s): ").append(segmentCount()).append(" ONNX Runtime segment(s), ")
                .append(attentionSteps().size()).append(" attention step(s)\n");
        for (String rewrite : rewrites) {
            out.append("  graph rewrite: ").append(rewrite).append('\n');
        }
        for (Step step : steps) {
            out.append("  ").append(step.describe()).append('\n');
        }
        return out.toString();
    }
}
