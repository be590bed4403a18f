package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.runtime.NonFiniteOutput;
import dev.sagestudio.models.runtime.OrtTensor;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RecordedSteps;
import dev.sagestudio.models.runtime.TensorMemory;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Poses as a CUDA graph of the loop's step where there is no GPU: each launch copies its inputs into buffers of its
 * own, closes the previous launch's outputs (a graph overwrites them in place, so a loop that kept reading them would
 * fail here), and runs the model's steps and the recorded work behind them again, reading the attention check as a
 * launch does.
 */
final class ReplayedSteps implements RecordedSteps {
    private final PartitionedModel model;
    private final TensorMemory memory;
    private final BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>, Map<String, OrtTensor>> after;
    private Map<String, OrtTensor> own = new LinkedHashMap<>();
    private PartitionedModel.Resident steps;
    private Map<String, OrtTensor> made = Map.of();
    private List<NonFiniteOutput> nonFinite = List.of();
    private int attentionCalls;
    int launches;
    int closes;

    ReplayedSteps(PartitionedModel model, Map<String, OrtTensor> example,
                  BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>, Map<String, OrtTensor>> after) {
        this.model = model;
        this.memory = model.memory();
        this.after = after;
        own = copies(example, example.keySet());
    }

    private Map<String, OrtTensor> copies(Map<String, OrtTensor> given, Iterable<String> names) {
        Map<String, OrtTensor> out = new LinkedHashMap<>();
        for (String name : names) {
            OrtTensor tensor = given.get(name);
            if (tensor == null || (own.containsKey(name) && !Arrays.equals(tensor.shape(), own.get(name).shape()))) {
                throw new IllegalArgumentException("input '" + name + "' must have the recorded shape");
            }
            out.put(name, memory.upload(memory.download(tensor)));
        }
        return out;
    }

    @Override
    public Map<String, OrtTensor> launch(Map<String, OrtTensor> inputs) {
        Map<String, OrtTensor> next = copies(inputs, List.copyOf(own.keySet()));
        closeOwn();
        own = next;
        dropOutputs();
        steps = model.runSteps(0, model.stepCount(), own);
        nonFinite = model.attention().takeNonFinite();
        made = after.apply(Collections.unmodifiableMap(own), Collections.unmodifiableMap(steps.outputs()));
        attentionCalls = steps.figures().attentionCalls().size();
        launches++;
        Map<String, OrtTensor> outputs = new LinkedHashMap<>(steps.outputs());
        outputs.putAll(made);
        return Collections.unmodifiableMap(outputs);
    }

    @Override
    public List<NonFiniteOutput> lastNonFinite() {
        return nonFinite;
    }

    @Override
    public Map<String, OrtTensor> recordedInputs() {
        return Collections.unmodifiableMap(own);
    }

    @Override
    public int recordedAttentionCalls() {
        return attentionCalls;
    }

    /** All of the model's steps: a replay runs them all on each launch. */
    @Override
    public PartitionedModel.StepRange recorded() {
        return new PartitionedModel.StepRange(0, model.stepCount());
    }

    @Override
    public long recordedOperations() {
        return model.stepCount();
    }

    @Override
    public void close() {
        closes++;
        dropOutputs();
        closeOwn();
    }

    private void dropOutputs() {
        if (steps != null) {
            steps.close();
            steps = null;
        }
        made.values().forEach(OrtTensor::close);
        made = Map.of();
    }

    private void closeOwn() {
        own.values().forEach(OrtTensor::close);
        own = Map.of();
    }
}
