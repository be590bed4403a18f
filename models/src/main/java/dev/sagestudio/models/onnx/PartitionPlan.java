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
 */
public record PartitionPlan(OnnxModel model, List<AttentionNode> attentionNodes, List<UnmatchedAttention> unmatched,
                            List<Step> steps,
                            List<String> graphInputs, List<String> graphOutputs) {

    public long segmentCount() {
        return steps.stream().filter(s -> s instanceof OrtSegment).count();
    }

    public List<AttentionStep> attentionSteps() {
        return steps.stream().filter(s -> s instanceof AttentionStep).map(s -> (AttentionStep) s).toList();
    }

    public String describe() {
        StringBuilder out = new StringBuilder();
        out.append(steps.size()).append(" step(s): ").append(segmentCount()).append(" ONNX Runtime segment(s), ")
                .append(attentionSteps().size()).append(" attention step(s)\n");
        for (Step step : steps) {
            out.append("  ").append(step.describe()).append('\n');
        }
        return out.toString();
    }
}
