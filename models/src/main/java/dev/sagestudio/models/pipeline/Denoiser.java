package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.RunResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The denoiser graph: (x_t, t, text) → ε, v or velocity. Several text conditions for one sample (classifier-free
 * guidance: conditional and unconditional) run as one batch when the graph's batch is dynamic, one call each when
 * it is fixed to 1.
 */
public final class Denoiser implements AutoCloseable {

    /**
     * The outputs, one per context, and what the graph runs cost.
     *
     * @param runs the graph runs made (1 for a batch, one per context otherwise)
     */
    public record Prediction(List<float[]> outputs, List<RunResult> runs) {
        long ortNanos() {
            return runs.stream().mapToLong(RunResult::ortNanos).sum();
        }

        long attentionNanos() {
            return runs.stream().mapToLong(RunResult::attentionNanos).sum();
        }

        int attentionCalls() {
            return runs.stream().mapToInt(r -> r.attentionCalls().size()).sum();
        }

        long copies() {
            return runs.stream().mapToLong(r -> r.transfers().copies()).sum();
        }

        long copiedBytes() {
            return runs.stream().mapToLong(r -> r.transfers().copiedBytes()).sum();
        }
    }

    private final GraphComponent graph;
    private final Component spec;
    private final long[] sampleShape;
    private final boolean batchOfOne;
    private final float[] timeIds;

    /**
     * @param sampleShape one sample's shape without the batch: [C, h, w] or [C, F, h, w]
     * @param timeIds     the size conditioning every prompt gets where the graph takes {@code time_ids} (SDXL), else
     *                    ignored
     */
    Denoiser(GraphComponent graph, Component spec, long[] sampleShape, float[] timeIds) {
        this.graph = graph;
        this.spec = spec;
        this.sampleShape = sampleShape.clone();
        this.timeIds = timeIds.clone();
        var batch = spec.inputs().get("sample").shape().get(0);
        this.batchOfOne = batch.isFixed() && batch.size() == 1;
    }

    GraphComponent graph() {
        return graph;
    }

    /** Whether the graph's batch is fixed to 1 (guidance then costs two calls per step). */
    public boolean batchFixedToOne() {
        return batchOfOne;
    }

    /** One sample's shape without the batch. */
    long[] sampleShape() {
        return sampleShape.clone();
    }

    /** Values in one sample. */
    public int sampleSize() {
        long n = 1;
        for (long d : sampleShape) {
            n *= d;
        }
        return (int) n;
    }

    /**
     * SDXL's size conditioning for an image generated at its full size, uncropped (diffusers' defaults):
     * original size, crop top-left, target size.
     */
    static float[] sizeConditioning(int height, int width) {
        return new float[] {height, width, 0, 0, height, width};
    }

    /**
     * The model output for {@code sample} at {@code timestep} under each of {@code contexts}.
     * {@code between} runs between separate calls (the pipeline checks cancellation there).
     */
    public Prediction predict(float[] sample, float timestep, List<TextCondition> contexts, Runnable between) {
        if (sample.length != sampleSize()) {
            throw new IllegalArgumentException("sample has " + sample.length + " values, the denoiser takes "
                    + Arrays.toString(sampleShape) + " = " + sampleSize());
        }
        List<float[]> outputs = new ArrayList<>();
        List<RunResult> runs = new ArrayList<>();
        if (batchOfOne || contexts.size() == 1) {
            for (int i = 0; i < contexts.size(); i++) {
                if (i > 0) {
                    between.run();
                }
                RunResult run = runBatch(List.of(contexts.get(i)), sample, timestep);
                runs.add(run);
                outputs.addAll(split(run, 1));
            }
        } else {
            RunResult run = runBatch(contexts, sample, timestep);
            runs.add(run);
            outputs.addAll(split(run, contexts.size()));
        }
        return new Prediction(outputs, runs);
    }

    private RunResult runBatch(List<TextCondition> contexts, float[] sample, float timestep) {
        int b = contexts.size();
        int n = sample.length;
        float[] samples = new float[b * n];
        float[] timesteps = new float[b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(sample, 0, samples, i * n, n);
            timesteps[i] = timestep;
        }
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = b;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        Map<String, HostArray> inputs = new LinkedHashMap<>();
        inputs.put(spec.inputs().get("sample").name(), GraphComponent.float32(shape, samples));
        inputs.put(spec.inputs().get("timestep").name(), GraphComponent.float32(new long[] {b}, timesteps));
        inputs.putAll(textInputs(contexts));
        return graph.run(inputs);
    }

    /**
     * The graph's text inputs for {@code contexts} as one batch, by graph input name: {@code encoder_hidden_states}
     * [B, T, C], and where the graph takes them {@code pooled_text_embeds} [B, P] and {@code time_ids} [B, 6].
     */
    Map<String, HostArray> textInputs(List<TextCondition> contexts) {
        int b = contexts.size();
        TextCondition first = contexts.get(0);
        Map<String, HostArray> inputs = new LinkedHashMap<>();
        inputs.put(spec.inputs().get("encoder_hidden_states").name(), GraphComponent.float32(
                new long[] {b, first.length(), first.width()}, stacked(contexts, TextCondition::hiddenStates)));
        var pooled = spec.inputs().get(ModelSpec.POOLED_TEXT_ROLE);
        if (pooled != null) {
            float[] all = stacked(contexts, TextCondition::pooled);
            inputs.put(pooled.name(), GraphComponent.float32(new long[] {b, all.length / b}, all));
        }
        var sizes = spec.inputs().get(ModelSpec.TIME_IDS_ROLE);
        if (sizes != null) {
            inputs.put(sizes.name(), GraphComponent.float32(new long[] {b, timeIds.length},
                    stacked(contexts, c -> timeIds)));
        }
        return inputs;
    }

    /** {@code part} of every context one after the other; every context's part must have the first one's size. */
    private static float[] stacked(List<TextCondition> contexts, Function<TextCondition, float[]> part) {
        float[] first = part.apply(contexts.get(0));
        if (first == null) {
            throw new IllegalArgumentException("the denoiser takes a pooled text embedding but the text encoders gave"
                    + " none");
        }
        float[] out = new float[contexts.size() * first.length];
        for (int i = 0; i < contexts.size(); i++) {
            float[] values = part.apply(contexts.get(i));
            if (values == null || values.length != first.length) {
                throw new IllegalArgumentException("text condition " + i + " has "
                        + (values == null ? "no" : values.length) + " values where the first has " + first.length);
            }
            System.arraycopy(values, 0, out, i * first.length, first.length);
        }
        return out;
    }

    private List<float[]> split(RunResult run, int b) {
        String name = spec.outputs().get("model_output").name();
        HostArray out = run.outputs().get(name);
        float[] all = GraphComponent.floats(out, "denoiser output '" + name + "'");
        int n = sampleSize();
        if (all.length != b * n) {
            throw new IllegalStateException("denoiser output '" + name + "' has shape " + Arrays.toString(out.shape())
                    + "; expected the sample's shape with batch " + b);
        }
        List<float[]> parts = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            parts.add(Arrays.copyOfRange(all, i * n, (i + 1) * n));
        }
        return parts;
    }

    @Override
    public void close() {
        graph.close();
    }
}
