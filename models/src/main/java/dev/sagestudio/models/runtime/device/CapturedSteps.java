package dev.sagestudio.models.runtime.device;

import dev.sagestudio.attention.gpu.CudaGraph;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.HostAttentionStep;
import dev.sagestudio.models.runtime.NonFiniteOutput;
import dev.sagestudio.models.runtime.OrtTensor;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RecordedSteps;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.TensorMemory;
import dev.sagestudio.models.runtime.Transfers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A run of a partitioned model's steps ({@link #recorded()}) — its ONNX Runtime segments and our attention kernels —
 * recorded once as a CUDA graph on the device path and launched again for each run, so the host issues one launch
 * where it issued every segment's kernels and every attention call. The steps before and after it (segments whose
 * sessions copy through the host, e.g. shape arithmetic ONNX Runtime does there, which cannot be recorded) run as
 * usual on each run, around the launch. Work that follows the steps on the same stream (e.g. guidance and the
 * scheduler's step) may be recorded with them when they are the model's last ({@link #recordResident}); else it runs
 * after the unrecorded last steps on each launch.
 *
 * <p>A graph repeats its kernels on the same addresses, so everything it reads or writes stays put while this is open:
 * the model's inputs are uploaded into the same buffers on each run, what the unrecorded steps pass on is copied into
 * buffers of its own, the recorded steps' outputs and the attention outputs made during the recording are held here,
 * and ONNX Runtime's intermediate tensors come from its arena, which hands the same blocks out again in the same order
 * on this one stream. Only for runs with the same input shapes and a runtime whose runs return once queued (a run
 * that waits for the stream cannot be recorded); another run of the same model may come between two launches.
 */
public final class CapturedSteps implements RecordedSteps {
    private final PartitionedModel model;
    private final TensorMemory memory;
    private final GpuDeviceMemory deviceMemory;
    private final CudaStream stream;
    private final PartitionedModel.StepRange recorded;
    private final Map<String, OrtTensor> inputs;
    /** What the unrecorded steps pass to the recorded ones, copied into buffers that stay put. */
    private final Map<String, OrtTensor> crossing;
    private PartitionedModel.Resident recordedOutputs;
    /**
     * What the work after the steps made (see {@link #recordResident}): held like the steps' outputs where it is
     * recorded, else the last launch's.
     */
    private Map<String, OrtTensor> afterOutputs = Map.of();
    /** The work after the steps where it is not recorded (the model's last steps are not), run on each launch. */
    private BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>, Map<String, OrtTensor>> afterUnrecorded;
    /** What the unrecorded steps after the recorded ones made in the last launch (null: none yet, or no such steps). */
    private PartitionedModel.Resident tailOutputs;
    private List<DeviceBuffer> held = List.of();
    private CudaGraph graph;
    private List<NonFiniteOutput> nonFinite = List.of();

    private CapturedSteps(PartitionedModel model, TensorMemory memory, GpuDeviceMemory deviceMemory, CudaStream stream,
                          PartitionedModel.StepRange recorded) {
        this.model = model;
        this.memory = memory;
        this.deviceMemory = deviceMemory;
        this.stream = stream;
        this.recorded = recorded;
        this.inputs = new LinkedHashMap<>();
        this.crossing = new LinkedHashMap<>();
    }

    /**
     * Records {@code model}'s steps {@code recorded} with {@code example}'s shapes (the steps before them run once, to
     * give the recorded ones their inputs).
     *
     * @throws IllegalStateException if the path's runs wait for the stream, or the steps did something a graph cannot
     *                               record (said why); nothing is left held then
     */
    static CapturedSteps record(PartitionedModel model, TensorMemory memory, GpuDeviceMemory deviceMemory,
                                CudaStream stream, boolean runsQueueOnly, Map<String, HostArray> example,
                                PartitionedModel.StepRange recorded) {
        requireRecordable(model, runsQueueOnly, recorded);
        CapturedSteps captured = new CapturedSteps(model, memory, deviceMemory, stream, recorded);
        try {
            for (Map.Entry<String, HostArray> e : example.entrySet()) {
                captured.inputs.put(e.getKey(), memory.upload(e.getValue()));
            }
            captured.recordOnce(null);
            return captured;
        } catch (RuntimeException e) {
            captured.close();
            throw e;
        }
    }

    /**
     * Records {@code model}'s steps {@code recorded} with {@code example}'s shapes, tensors already in {@code memory}
     * (borrowed: copied into buffers of this recording's own), and then {@code after}: work queued on the same stream
     * that reads the recorded inputs and the model's outputs (both given to it) and returns tensors it made, which
     * {@link #launch} returns with the model's outputs. {@code after} is recorded where {@code recorded} ends with the
     * model's last step; else it runs on each launch after the unrecorded last steps. {@code example} may hold tensors
     * that only {@code after} reads. The steps before {@code recorded} run once, to give the recorded ones their
     * inputs.
     *
     * @throws IllegalStateException as {@link #record}
     */
    static CapturedSteps recordResident(PartitionedModel model, TensorMemory memory, GpuDeviceMemory deviceMemory,
                                        CudaStream stream, boolean runsQueueOnly, Map<String, OrtTensor> example,
                                        PartitionedModel.StepRange recorded,
                                        BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>,
                                                Map<String, OrtTensor>> after) {
        requireRecordable(model, runsQueueOnly, recorded);
        CapturedSteps captured = new CapturedSteps(model, memory, deviceMemory, stream, recorded);
        try {
            for (Map.Entry<String, OrtTensor> e : example.entrySet()) {
                OrtTensor given = e.getValue();
                OrtTensor own = memory.allocate(given.elemType(), given.shape());
                captured.inputs.put(e.getKey(), own);
                if (given.byteSize() > 0) {
                    stream.copyDeviceToDevice(own.address(), given.address(), given.byteSize());
                }
            }
            captured.recordOnce(after);
            return captured;
        } catch (RuntimeException e) {
            captured.close();
            throw e;
        }
    }

    private static void requireRecordable(PartitionedModel model, boolean runsQueueOnly,
                                          PartitionedModel.StepRange recorded) {
        if (!runsQueueOnly) {
            throw new IllegalStateException("recording the steps as a CUDA graph needs runs that return once queued"
                    + " (DeviceOnnxPath.queueRunsWithoutWaiting): a run that waits for the stream cannot be recorded");
        }
        if (recorded.to() > model.stepCount()) {
            throw new IllegalArgumentException("the recorded steps must be among the model's " + model.stepCount()
                    + ", got " + recorded.describe());
        }
    }

    private void recordOnce(BiFunction<Map<String, OrtTensor>, Map<String, OrtTensor>, Map<String, OrtTensor>> after) {
        runStepsBefore();
        Map<String, OrtTensor> given = readFrom(recorded.from());
        boolean toTheEnd = recorded.to() == model.stepCount();
        Map<String, OrtTensor> recordedInputs = Collections.unmodifiableMap(inputs);
        PartitionedModel.Resident[] made = new PartitionedModel.Resident[1];
        List<Map<String, OrtTensor>> afterMade = new ArrayList<>(1);
        deviceMemory.startHolding();
        try {
            graph = CudaGraph.capture(stream, () -> {
                made[0] = model.runSteps(recorded.from(), recorded.to(), given);
                if (after != null && toTheEnd) {
                    afterMade.add(after.apply(recordedInputs, Collections.unmodifiableMap(made[0].outputs())));
                }
            });
            recordedOutputs = made[0];
            if (!afterMade.isEmpty()) {
                afterOutputs = new LinkedHashMap<>(afterMade.get(0));
            }
            if (!toTheEnd) {
                afterUnrecorded = after;
            }
        } catch (RuntimeException e) {
            // the work ran (queued into a capture that was dropped) but nothing was recorded: free what it made
            if (made[0] != null) {
                made[0].close();
            }
            afterMade.forEach(m -> m.values().forEach(OrtTensor::close));
            throw e;
        } finally {
            held = deviceMemory.stopHolding();
        }
    }

    /**
     * Runs the steps before the recorded ones on the recorded inputs and copies what they pass on into the buffers the
     * graph reads, allocated on the first call. The copies are queued on the stream, behind the steps that made their
     * sources and ahead of any later reuse of those sources' memory.
     */
    private void runStepsBefore() {
        if (recorded.from() == 0) {
            return;
        }
        try (PartitionedModel.Resident before = model.runSteps(0, recorded.from(), inputs)) {
            for (Map.Entry<String, OrtTensor> e : before.outputs().entrySet()) {
                OrtTensor made = e.getValue();
                OrtTensor fixed = crossing.computeIfAbsent(e.getKey(),
                        name -> memory.allocate(made.elemType(), made.shape()));
                stream.copyDeviceToDevice(fixed.address(), made.address(), made.byteSize());
            }
        }
    }

    /**
     * The unrecorded steps before the recorded ones run on the recorded inputs, the graph launched behind them, the
     * unrecorded steps after them (and the work after those) run behind the graph, and the attention outputs' NaN/Inf
     * check read.
     */
    private void launchGraph() {
        runStepsBefore();
        graph.launch(stream);
        if (recorded.to() < model.stepCount()) {
            runTail();
        }
        nonFinite = model.attention().takeNonFinite(); // waits for the stream
    }

    /**
     * The model's steps after the recorded ones, on the recorded inputs, what the steps before made and the graph's
     * outputs (all in buffers that stay put), then the work after them. The previous launch's results are closed first:
     * their readers (the copies into the recorded inputs) are queued ahead on the stream.
     */
    private void runTail() {
        closeTail();
        tailOutputs = model.runSteps(recorded.to(), model.stepCount(), readFrom(recorded.to()));
        if (afterUnrecorded != null) {
            afterOutputs = new LinkedHashMap<>(afterUnrecorded.apply(Collections.unmodifiableMap(inputs),
                    Collections.unmodifiableMap(tailOutputs.outputs())));
        }
    }

    /**
     * What steps {@code step} onwards read, all in buffers that stay put: the recorded inputs, what the steps before
     * the recorded ones passed on, and (once recorded) the graph's outputs.
     */
    private Map<String, OrtTensor> readFrom(int step) {
        Map<String, OrtTensor> given = new LinkedHashMap<>(inputs);
        given.putAll(crossing);
        if (recordedOutputs != null) {
            given.putAll(recordedOutputs.outputs());
        }
        given.keySet().retainAll(model.namesReadFrom(step));
        return given;
    }

    private void closeTail() {
        if (tailOutputs != null) {
            tailOutputs.close();
            tailOutputs = null;
            afterOutputs.values().forEach(OrtTensor::close);
            afterOutputs = Map.of();
        }
    }

    /** The model's outputs of the last launch: the graph's, or the unrecorded last steps'. */
    private PartitionedModel.Resident modelOutputs() {
        return tailOutputs != null ? tailOutputs : recordedOutputs;
    }

    /** The steps the graph records (those before and after it run unrecorded on each run). */
    @Override
    public PartitionedModel.StepRange recorded() {
        return recorded;
    }

    /** The number of operations the graph launches. */
    @Override
    public long recordedOperations() {
        return graph.nodeCount();
    }

    /**
     * One run: {@code inputs} (the recorded shapes) uploaded into the recorded buffers, the unrecorded steps run and
     * their results copied where the graph reads them, the graph launched, and its outputs downloaded. Attention
     * outputs with NaN or Inf are in {@link #lastNonFinite()} afterwards (a graph cannot re-run one node at full
     * precision).
     */
    public RunResult run(Map<String, HostArray> inputs) {
        long start = System.nanoTime();
        Transfers transfers = new Transfers();
        for (Map.Entry<String, OrtTensor> e : this.inputs.entrySet()) {
            HostArray array = inputs.get(e.getKey());
            if (array == null || array.bytes().length != e.getValue().byteSize()) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' must have the recorded shape "
                        + Arrays.toString(e.getValue().shape()));
            }
            deviceMemory.copyIn(e.getValue().address(), array.bytes());
            transfers.upload(array.bytes().length);
        }
        launchGraph();
        Map<String, HostArray> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, OrtTensor> e : modelOutputs().outputs().entrySet()) {
            HostArray array = memory.download(e.getValue());
            transfers.download(array.bytes().length);
            outputs.put(e.getKey(), array);
        }
        return new RunResult(outputs, System.nanoTime() - start, 0, 0, attentionCalls(), transfers);
    }

    /**
     * One run on tensors in device memory: {@code inputs} (the recorded names and shapes; borrowed) copied on the stream
     * into the recorded buffers, the unrecorded steps run, the graph launched, and the attention outputs' NaN/Inf check
     * read (which waits for the stream; findings in {@link #lastNonFinite()}). Returns the steps' outputs and what the
     * recorded {@code after} work made: this recording's tensors, overwritten by the next launch and closed with it.
     */
    @Override
    public Map<String, OrtTensor> launch(Map<String, OrtTensor> inputs) {
        for (Map.Entry<String, OrtTensor> e : this.inputs.entrySet()) {
            OrtTensor given = inputs.get(e.getKey());
            OrtTensor recorded = e.getValue();
            if (given == null || given.elemType() != recorded.elemType()
                    || !Arrays.equals(given.shape(), recorded.shape())) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' must have the recorded type and shape "
                        + Arrays.toString(recorded.shape()));
            }
            if (given.address() != recorded.address() && recorded.byteSize() > 0) {
                stream.copyDeviceToDevice(recorded.address(), given.address(), recorded.byteSize());
            }
        }
        launchGraph();
        Map<String, OrtTensor> outputs = new LinkedHashMap<>(modelOutputs().outputs());
        outputs.putAll(afterOutputs);
        return Collections.unmodifiableMap(outputs);
    }

    /**
     * The buffers each launch reads its inputs from, by name: after a launch they still hold that launch's inputs (the
     * graph does not write them).
     */
    @Override
    public Map<String, OrtTensor> recordedInputs() {
        return Collections.unmodifiableMap(inputs);
    }

    /** The attention calls each launch makes: the recorded ones, and those of the unrecorded last steps' last run. */
    @Override
    public int recordedAttentionCalls() {
        return attentionCalls().size();
    }

    private List<HostAttentionStep.Call> attentionCalls() {
        List<HostAttentionStep.Call> calls = new ArrayList<>(recordedOutputs.figures().attentionCalls());
        if (tailOutputs != null) {
            calls.addAll(tailOutputs.figures().attentionCalls());
        }
        return calls;
    }

    /** Attention outputs with NaN or Inf in the last {@link #run} or {@link #launch}. */
    @Override
    public List<NonFiniteOutput> lastNonFinite() {
        return nonFinite;
    }

    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        try {
            stream.synchronize();
        } catch (RuntimeException e) {
            failures.add(e);
        }
        try {
            if (graph != null) {
                graph.close();
            }
        } catch (RuntimeException e) {
            failures.add(e);
        }
        if (recordedOutputs != null) {
            recordedOutputs.close();
        }
        if (tailOutputs != null) {
            tailOutputs.close();
            tailOutputs = null;
        }
        afterOutputs.values().forEach(OrtTensor::close);
        afterOutputs = Map.of();
        deviceMemory.giveBack(held);
        held = List.of();
        crossing.values().forEach(OrtTensor::close);
        inputs.values().forEach(OrtTensor::close);
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }
}
