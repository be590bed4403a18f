package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.tokenizer.PromptTokenizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prompt → hidden states: the bundle's tokenizer, then its text encoder (one prompt per call, so a graph whose
 * batch is fixed to 1 works as well as a dynamic one).
 */
public final class TextEmbedder implements AutoCloseable {

    /**
     * One encoded prompt.
     *
     * @param hiddenStates [T, C_txt], row-major
     * @param tokens the tokenizer's result (ids, mask, truncation)
     * @param run timing of the text encoder run
     */
    public record Embedding(String prompt, float[] hiddenStates, int length, int hiddenSize,
                            PromptTokenizer.Tokens tokens, RunResult run) {
    }

    private final PromptTokenizer tokenizer;
    private final GraphComponent encoder;
    private final Component spec;

    TextEmbedder(PromptTokenizer tokenizer, GraphComponent encoder, Component spec) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.spec = spec;
    }

    GraphComponent graph() {
        return encoder;
    }

    public Embedding embed(String prompt) {
        PromptTokenizer.Tokens tokens = tokenizer.encode(prompt);
        long[] shape = {1, tokenizer.maxLength()};
        Map<String, HostArray> inputs = new LinkedHashMap<>();
        inputs.put(spec.inputs().get("input_ids").name(), HostArray.ofLongs(shape, tokens.ids()));
        var mask = spec.inputs().get("attention_mask");
        if (mask != null) {
            inputs.put(mask.name(), HostArray.ofLongs(shape, tokens.attentionMask()));
        }
        RunResult run = encoder.run(inputs);
        String outName = spec.outputs().get("hidden_states").name();
        HostArray hidden = run.outputs().get(outName);
        long[] s = hidden.shape();
        if (s.length != 3 || s[0] != 1 || s[1] != tokenizer.maxLength()) {
            throw new IllegalStateException("text encoder output '" + outName + "' has shape " + Arrays.toString(s)
                    + "; model.json promises [B, " + tokenizer.maxLength() + ", C_txt] with B = 1 here");
        }
        return new Embedding(prompt, GraphComponent.floats(hidden, "text encoder output '" + outName + "'"),
                (int) s[1], (int) s[2], tokens, run);
    }

    @Override
    public void close() {
        try {
            encoder.close();
        } finally {
            tokenizer.close();
        }
    }
}
