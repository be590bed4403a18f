package dev.sagestudio.models.onnx;

import java.util.List;

/** An attention node taken out of the graph, to be run by an attention backend. */
public record AttentionStep(AttentionNode node) implements Step {

    @Override
    public List<String> inputs() {
        return List.of(node.query(), node.key(), node.value());
    }

    @Override
    public List<String> outputs() {
        return List.of(node.output());
    }

    @Override
    public String describe() {
        return "attention " + node.label() + ": (" + node.query() + ", " + node.key() + ", " + node.value() + ") -> "
                + node.output() + (node.causal() ? " causal" : "");
    }
}
