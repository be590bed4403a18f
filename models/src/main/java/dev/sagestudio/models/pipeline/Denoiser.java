package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.RunResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /**
     * @param sampleShape one sample's shape without the batch: [C, h, w] or [C, F, h, w]
     */
    Denoiser(GraphComponent graph, Component spec, long[] sampleShape) {
        this.graph = graph;
        this.spec = spec;
        this.sampleShape = sampleShape.clone();
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
     * The model output for {@code sample} at {@code timestep} under each of {@code contexts} ([T, C_txt] each).
     * {@code between} runs between separate calls (the pipeline checks cancellation there).
     */
    public Prediction predict(float[] sample, float timestep, List<float[]> contexts, int textLength, int textWidth,
                              Runnable between) {
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
                RunResult run = runBatch(List.of(contexts.get(i)), sample, timestep, textLength, textWidth);
                runs.add(run);
                outputs.addAll(split(run, 1));
            }
        } else {
            RunResult run = runBatch(contexts, sample, timestep, textLength, textWidth);
            runs.add(run);
            outputs.addAll(split(run, contexts.size()));
        }
        return new Prediction(outputs, runs);
    }

    private RunResult runBatch(List<float[]> contexts, float[] sample, float timestep, int textLength, int textWidth) {
        int b = contexts.size();
        int n = sample.length;
        float[] samples = new float[b * n];
        float[] timesteps = new float[b];
        int ctx = textLength * textWidth;
        float[] text = new float[b * ctx];
        for (int i = 0; i < b; i++) {
            System.arraycopy(sample, 0, samples, i * n, n);
            timesteps[i] = timestep;
            if (contexts.get(i).length != ctx) {
                throw new IllegalArgumentException("text condition has " + contexts.get(i).length + " values, expected "
                        + textLength + " x " + textWidth);
            }
            System.arraycopy(contexts.get(i), 0, text, i * ctx, ctx);
        }
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = b;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        Map<String, HostArray> inputs = new LinkedHashMap<>();
        inputs.put(spec.inputs().get("sample").name(), GraphComponent.float32(shape, samples));
        inputs.put(spec.inputs().get("timestep").name(), GraphComponent.float32(new long[] {b}, timesteps));
        inputs.put(spec.inputs().get("encoder_hidden_states").name(),
                GraphComponent.float32(new long[] {b, textLength, textWidth}, text));
        return graph.run(inputs);
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
