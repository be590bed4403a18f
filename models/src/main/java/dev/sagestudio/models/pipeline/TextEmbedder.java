package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.bundle.ModelSpec.TextCombine;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.tokenizer.PromptTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prompt → the denoiser's text inputs: each of the bundle's text encoders with its own tokenizer (one prompt per
 * call, so a graph whose batch is fixed to 1 works as well as a dynamic one), then, with several encoders, their
 * outputs combined by the bundle's rule ({@link TextCombination}).
 */
public final class TextEmbedder implements AutoCloseable {

    /**
     * One encoded prompt.
     *
     * @param condition what the denoiser reads
     * @param tokens    each encoder's tokenizer result (ids, mask, truncation), in encoder order; empty for a prompt
     *                  that was not encoded (an empty negative prompt given as zeros)
     * @param runs      timing of each text encoder run
     */
    public record Embedding(String prompt, TextCondition condition, List<PromptTokenizer.Tokens> tokens,
                            List<RunResult> runs) {

        /** [T, C_txt], row-major. */
        public float[] hiddenStates() {
            return condition.hiddenStates();
        }

        public int length() {
            return condition.length();
        }

        public int hiddenSize() {
            return condition.width();
        }
    }

    /** One text encoder with its tokenizer; {@code where} names it in messages. */
    record Encoder(String where, PromptTokenizer tokenizer, GraphComponent graph, Component spec) {
    }

    private final List<Encoder> encoders;
    private final TextCombine combine;
    private final boolean zerosForEmptyNegative;

    /**
     * @param combine               null for a single encoder
     * @param zerosForEmptyNegative an empty negative prompt becomes all-zero inputs (SDXL)
     */
    TextEmbedder(List<Encoder> encoders, TextCombine combine, boolean zerosForEmptyNegative) {
        this.encoders = List.copyOf(encoders);
        this.combine = combine;
        this.zerosForEmptyNegative = zerosForEmptyNegative;
    }

    /** The text encoders' graphs, in order. */
    List<GraphComponent> graphs() {
        return encoders.stream().map(Encoder::graph).toList();
    }

    public Embedding embed(String prompt) {
        List<TextCombination.EncoderOutput> outputs = new ArrayList<>();
        List<PromptTokenizer.Tokens> tokens = new ArrayList<>();
        List<RunResult> runs = new ArrayList<>();
        for (Encoder e : encoders) {
            PromptTokenizer.Tokens t = e.tokenizer().encode(prompt);
            tokens.add(t);
            RunResult run = e.graph().run(inputs(e, t));
            runs.add(run);
            outputs.add(outputs(e, run));
        }
        return new Embedding(prompt, TextCombination.combine(combine, outputs), List.copyOf(tokens), List.copyOf(runs));
    }

    /**
     * The unconditional prompt's inputs: all zeros shaped like {@code conditional}'s where the bundle says so for an
     * empty negative prompt (diffusers' SDXL default), else the prompt encoded.
     */
    public Embedding embedNegative(String negativePrompt, Embedding conditional) {
        if (zerosForEmptyNegative && negativePrompt.isEmpty()) {
            return new Embedding(negativePrompt, conditional.condition().zeros(), List.of(), List.of());
        }
        return embed(negativePrompt);
    }

    private static Map<String, HostArray> inputs(Encoder e, PromptTokenizer.Tokens tokens) {
        long[] shape = {1, e.tokenizer().maxLength()};
        Map<String, HostArray> inputs = new LinkedHashMap<>();
        inputs.put(e.spec().inputs().get("input_ids").name(), HostArray.ofLongs(shape, tokens.ids()));
        var mask = e.spec().inputs().get("attention_mask");
        if (mask != null) {
            inputs.put(mask.name(), HostArray.ofLongs(shape, tokens.attentionMask()));
        }
        return inputs;
    }

    /** The run's hidden states [1, T, C] (and pooled [1, P] where declared), checked against model.json. */
    private static TextCombination.EncoderOutput outputs(Encoder e, RunResult run) {
        int maxLength = e.tokenizer().maxLength();
        String hiddenName = e.spec().outputs().get("hidden_states").name();
        HostArray hidden = run.outputs().get(hiddenName);
        long[] s = hidden.shape();
        if (s.length != 3 || s[0] != 1 || s[1] != maxLength) {
            throw new IllegalStateException(e.where() + ": output '" + hiddenName + "' has shape "
                    + Arrays.toString(s) + "; model.json promises [B, " + maxLength + ", C_txt] with B = 1 here");
        }
        float[] states = GraphComponent.floats(hidden, e.where() + " output '" + hiddenName + "'");
        float[] pooled = null;
        var pooledSpec = e.spec().outputs().get("pooled");
        if (pooledSpec != null) {
            HostArray p = run.outputs().get(pooledSpec.name());
            if (p.shape().length != 2 || p.shape()[0] != 1) {
                throw new IllegalStateException(e.where() + ": output '" + pooledSpec.name() + "' has shape "
                        + Arrays.toString(p.shape()) + "; model.json promises [B, P] with B = 1 here");
            }
            pooled = GraphComponent.floats(p, e.where() + " output '" + pooledSpec.name() + "'");
        }
        return new TextCombination.EncoderOutput(states, (int) s[1], (int) s[2], pooled);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Encoder e : encoders) {
            try {
                e.graph().close();
            } catch (RuntimeException ex) {
                first = first == null ? ex : first;
            } finally {
                e.tokenizer().close();
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
