package dev.sagestudio.models.runtime.device;

import dev.sagestudio.attention.gpu.CudaGraph;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.NonFiniteOutput;
import dev.sagestudio.models.runtime.OrtTensor;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.RunResult;
import dev.sagestudio.models.runtime.TensorMemory;
import dev.sagestudio.models.runtime.Transfers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A partitioned model's steps from {@link #firstRecorded()} on — its ONNX Runtime segments and our attention kernels —
 * recorded once as a CUDA graph on the device path and launched again for each run, so the host issues one launch
 * where it issued every segment's kernels and every attention call. The steps before it (a segment whose shape
 * arithmetic ONNX Runtime does on the host, which cannot be recorded) run as usual on each run.
 *
 * <p>A graph repeats its kernels on the same addresses, so everything it reads or writes stays put while this is open:
 * the model's inputs are uploaded into the same buffers on each run, what the unrecorded steps pass on is copied into
 * buffers of its own, the recorded steps' outputs and the attention outputs made during the recording are held here,
 * and ONNX Runtime's intermediate tensors come from its arena, which hands the same blocks out again in the same order
 * on this one stream. Only for runs with the same input shapes and a runtime whose runs return once queued (a run
 * that waits for the stream cannot be recorded); another run of the same model may come between two launches.
 */
public final class CapturedSteps implements AutoCloseable {
    private final PartitionedModel model;
    private final TensorMemory memory;
    private final GpuDeviceMemory deviceMemory;
    private final CudaStream stream;
    private final int firstRecorded;
    private final Map<String, OrtTensor> inputs;
    /** What the unrecorded steps pass to the recorded ones, copied into buffers that stay put. */
    private final Map<String, OrtTensor> crossing;
    private PartitionedModel.Resident recordedOutputs;
    private List<DeviceBuffer> held = List.of();
    private CudaGraph graph;
    private List<NonFiniteOutput> nonFinite = List.of();

    private CapturedSteps(PartitionedModel model, TensorMemory memory, GpuDeviceMemory deviceMemory, CudaStream stream,
                          int firstRecorded) {
        this.model = model;
        this.memory = memory;
        this.deviceMemory = deviceMemory;
        this.stream = stream;
        this.firstRecorded = firstRecorded;
        this.inputs = new LinkedHashMap<>();
        this.crossing = new LinkedHashMap<>();
    }

    /**
     * Records {@code model}'s steps from {@code firstRecorded} on with {@code example}'s shapes (the steps before it
     * run once, to give the recorded ones their inputs).
     *
     * @throws IllegalStateException if the path's runs wait for the stream, or the steps did something a graph cannot
     *                               record (said why); nothing is left held then
     */
    static CapturedSteps record(PartitionedModel model, TensorMemory memory, GpuDeviceMemory deviceMemory,
                                CudaStream stream, boolean runsQueueOnly, Map<String, HostArray> example,
                                int firstRecorded) {
        if (!runsQueueOnly) {
            throw new IllegalStateException("recording the steps as a CUDA graph needs runs that return once queued"
                    + " (DeviceOnnxPath.queueRunsWithoutWaiting): a run that waits for the stream cannot be recorded");
        }
        if (firstRecorded < 0 || firstRecorded >= model.stepCount()) {
            throw new IllegalArgumentException("the first recorded step must be one of the " + model.stepCount()
                    + " steps, got " + firstRecorded);
        }
        CapturedSteps captured = new CapturedSteps(model, memory, deviceMemory, stream, firstRecorded);
        try {
            captured.recordOnce(example);
            return captured;
        } catch (RuntimeException e) {
            captured.close();
            throw e;
        }
    }

    private void recordOnce(Map<String, HostArray> example) {
        for (Map.Entry<String, HostArray> e : example.entrySet()) {
            inputs.put(e.getKey(), memory.upload(e.getValue()));
        }
        runUnrecordedSteps();
        Map<String, OrtTensor> given = new LinkedHashMap<>(inputs);
        given.putAll(crossing);
        given.keySet().retainAll(model.namesReadFrom(firstRecorded));
        deviceMemory.startHolding();
        try {
            PartitionedModel.Resident[] made = new PartitionedModel.Resident[1];
            graph = CudaGraph.capture(stream, () -> made[0] = model.runSteps(firstRecorded, model.stepCount(), given));
            recordedOutputs = made[0];
        } finally {
            held = deviceMemory.stopHolding();
        }
    }

    /**
     * Runs the steps before the recorded ones on the recorded inputs and copies what they pass on into the buffers the
     * graph reads, allocated on the first call. The copies are queued on the stream, behind the steps that made their
     * sources and ahead of any later reuse of those sources' memory.
     */
    private void runUnrecordedSteps() {
        if (firstRecorded == 0) {
            return;
        }
        try (PartitionedModel.Resident before = model.runSteps(0, firstRecorded, inputs)) {
            for (Map.Entry<String, OrtTensor> e : before.outputs().entrySet()) {
                OrtTensor made = e.getValue();
                OrtTensor fixed = crossing.computeIfAbsent(e.getKey(),
                        name -> memory.allocate(made.elemType(), made.shape()));
                stream.copyDeviceToDevice(fixed.address(), made.address(), made.byteSize());
            }
        }
    }

    /** The index of the first recorded step (the steps before it run uncaptured on each run). */
    public int firstRecorded() {
        return firstRecorded;
    }

    /** The number of operations the graph launches. */
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
                        + java.util.Arrays.toString(e.getValue().shape()));
            }
            deviceMemory.copyIn(e.getValue().address(), array.bytes());
            transfers.upload(array.bytes().length);
        }
        runUnrecordedSteps();
        graph.launch(stream);
        nonFinite = model.attention().takeNonFinite(); // waits for the stream
        Map<String, HostArray> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, OrtTensor> e : recordedOutputs.outputs().entrySet()) {
            HostArray array = memory.download(e.getValue());
            transfers.download(array.bytes().length);
            outputs.put(e.getKey(), array);
        }
        return new RunResult(outputs, System.nanoTime() - start, 0, 0, recordedOutputs.figures().attentionCalls(),
                transfers);
    }

    /** Attention outputs with NaN or Inf in the last {@link #run}. */
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
