package dev.sagestudio.models.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.onnxruntime.Allocator;
import org.bytedeco.onnxruntime.IoBinding;
import org.bytedeco.onnxruntime.KeyValuePairs;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.OrtValue;
import org.bytedeco.onnxruntime.RunOptions;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.StringStringMap;
import org.bytedeco.onnxruntime.StringVector;
import org.bytedeco.onnxruntime.Value;
import org.bytedeco.onnxruntime.ValueVector;

/** One ONNX Runtime session: named host tensors in, named ORT-owned tensors out. */
public final class OrtSessionRunner implements AutoCloseable {
    private final Session session;
    private final String what;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final String arenaShrinkage;
    /** Whether a run returns once its work is queued on the CUDA stream, without waiting for it. */
    private final boolean queueOnly;

    /** Run before the session closes (a wait for the stream of a queue-only session), or null. */
    private final Runnable beforeClosing;

    /** ORT_LOGGING_LEVEL_WARNING. */
    private static final int WARNING_SEVERITY = 2;
    /** Whether ONNX Runtime copies between host and device inside this session's graph (host-side shape arithmetic). */
    private final boolean copiesThroughTheHost;
    /** ONNX Runtime's own words on why (see {@link #hostCopyCauses}). */
    private final List<String> hostCopyCauses;

    OrtSessionRunner(Session session, String what, String arenaShrinkage, boolean queueOnly, Runnable beforeClosing,
                     boolean copiesThroughTheHost, List<String> hostCopyCauses) {
        this.session = session;
        this.what = what;
        this.arenaShrinkage = arenaShrinkage;
        this.queueOnly = queueOnly;
        this.beforeClosing = beforeClosing;
        this.copiesThroughTheHost = copiesThroughTheHost;
        this.hostCopyCauses = List.copyOf(hostCopyCauses);
        this.inputNames = names(session.GetInputNames());
        this.outputNames = names(session.GetOutputNames());
    }

    private static List<String> names(StringVector vector) {
        List<String> out = new ArrayList<>();
        for (long i = 0; i < vector.size(); i++) {
            out.add(vector.get(i).getString());
        }
        vector.close();
        return List.copyOf(out);
    }

    /**
     * Whether ONNX Runtime copies between host and device inside this session's graph: such a session's runs wait for
     * the stream even on a runtime whose runs are queue-only, and a CUDA graph cannot record them.
     */
    public boolean copiesThroughTheHost() {
        return copiesThroughTheHost;
    }

    /**
     * Why this session copies through the host, as ONNX Runtime logged it while creating the session: the operators it
     * found no CUDA kernel for ("CUDA kernel not found in registries for Op type: X node name: Y") and the copy nodes it
     * added ("Add MemcpyToHost before Y ..."). Empty where it copies nothing, and where ONNX Runtime logged no cause.
     */
    public List<String> hostCopyCauses() {
        return hostCopyCauses;
    }

    /** Whether a run returns once its work is queued, without waiting for the stream. */
    public boolean queuesRunsOnly() {
        return queueOnly;
    }

    public List<String> inputNames() {
        return inputNames;
    }

    public List<String> outputNames() {
        return outputNames;
    }

    /**
     * Runs the session. {@code inputs} must hold every input; the tensors stay owned by the caller.
     * The returned tensors belong to the caller, who closes them.
     */
    public Map<String, OrtTensor> run(Map<String, OrtTensor> inputs, List<String> wanted) {
        for (String name : inputNames) {
            if (!inputs.containsKey(name)) {
                throw new OrtRuntimeException(what + " needs input '" + name + "', which was not given (given: "
                        + inputs.keySet() + ")");
            }
        }
        int n = inputNames.size();
        int m = wanted.size();
        // Ort::Value holds exactly one OrtValue*, so an array of OrtValue* is an array of Ort::Value
        // that the C++ Run reads without taking ownership.
        try (PointerPointer<BytePointer> inNames = new PointerPointer<>(inputNames.toArray(new String[0]));
             PointerPointer<OrtValue> inValues = new PointerPointer<>(Math.max(n, 1));
             PointerPointer<BytePointer> outNames = new PointerPointer<>(wanted.toArray(new String[0]));
             RunOptions options = runOptions()) {
            for (int i = 0; i < n; i++) {
                inValues.put(i, inputs.get(inputNames.get(i)).value().asOrtValue());
            }
            ValueVector results;
            try {
                results = session.Run(options, inNames, new Value(inValues), n, outNames, m);
            } catch (RuntimeException e) {
                throw new OrtRuntimeException("ONNX Runtime failed running " + what + ": " + e.getMessage(), e);
            }
            try {
                return takeAll(results, wanted, true); // plain Run returns outputs in host memory
            } finally {
                results.close();
            }
        }
    }

    /**
     * Runs the session through an IoBinding: the inputs are bound where they are (no copy by us), the
     * outputs are allocated by ONNX Runtime in {@code outputMemory} (host memory on the CPU path; the
     * device path binds CUDA memory here so tensors never leave the GPU between steps).
     */
    public Map<String, OrtTensor> runBound(Map<String, OrtTensor> inputs, List<String> wanted, MemoryInfo outputMemory) {
        return runBound(inputs, wanted, outputMemory, outputMemory == OrtRuntime.hostMemory());
    }

    /** As {@link #runBound(Map, List, MemoryInfo)}; {@code hostOutputs} says whether Java may read the outputs in place. */
    public Map<String, OrtTensor> runBound(Map<String, OrtTensor> inputs, List<String> wanted, MemoryInfo outputMemory,
                                           boolean hostOutputs) {
        for (String name : inputNames) {
            if (!inputs.containsKey(name)) {
                throw new OrtRuntimeException(what + " needs input '" + name + "', which was not given (given: "
                        + inputs.keySet() + ")");
            }
        }
        try (IoBinding binding = new IoBinding(session); RunOptions options = runOptions()) {
            for (String name : inputNames) {
                binding.BindInput(name, inputs.get(name).value());
            }
            for (String name : wanted) {
                binding.BindOutput(name, outputMemory.asOrtMemoryInfo());
            }
            ValueVector results;
            try {
                session.Run(options, binding);
                results = binding.GetOutputValues();
            } catch (RuntimeException e) {
                throw new OrtRuntimeException("ONNX Runtime failed running " + what + ": " + e.getMessage(), e);
            }
            try {
                return takeAll(results, wanted, hostOutputs);
            } finally {
                results.close();
            }
        }
    }

    private RunOptions runOptions() {
        RunOptions options = new RunOptions();
        // A CUDA session is created with informational messages on (OrtRuntime); its runs need warnings only.
        options.SetRunLogSeverityLevel(WARNING_SEVERITY);
        if (arenaShrinkage != null) {
            options.AddConfigEntry("memory.enable_memory_arena_shrinkage", arenaShrinkage);
        }
        if (queueOnly) {
            options.AddConfigEntry("disable_synchronize_execution_providers", "1");
        }
        return options;
    }

    /** Moves each value out of {@code results} into a tensor of its own. */
    private Map<String, OrtTensor> takeAll(ValueVector results, List<String> wanted, boolean host) {
        if (results.size() != wanted.size()) {
            throw new OrtRuntimeException(what + " returned " + results.size() + " outputs, expected " + wanted.size());
        }
        Map<String, OrtTensor> out = new LinkedHashMap<>();
        try {
            for (int i = 0; i < wanted.size(); i++) {
                Value owned = new Value();
                owned.put(results.get(i)); // moves the OrtValue out of the vector
                if (!owned.IsTensor()) {
                    owned.close();
                    throw new OrtRuntimeException(what + " output '" + wanted.get(i)
                            + "' is not a tensor; only tensor outputs are supported");
                }
                out.put(wanted.get(i), new OrtTensor(owned, host));
            }
        } catch (RuntimeException e) {
            out.values().forEach(OrtTensor::close);
            throw e;
        }
        return out;
    }

    /**
     * The figures ONNX Runtime keeps for the allocator this session takes {@code memory} from (for an arena:
     * {@code NumAllocs}, {@code InUse}, {@code MaxInUse}, {@code TotalAllocated}, …; empty for an allocator without
     * statistics). Sessions that share one arena report the same figures, including each other's allocations.
     */
    public Map<String, String> allocatorStats(MemoryInfo memory) {
        try (Allocator allocator = new Allocator(session, memory.asOrtMemoryInfo());
             KeyValuePairs stats = allocator.GetStats();
             StringStringMap pairs = stats.GetKeyValuePairs()) {
            Map<String, String> out = new java.util.TreeMap<>();
            for (StringStringMap.Iterator it = pairs.begin(); !it.equals(pairs.end()); it = it.increment()) {
                out.put(it.first().getString(), it.second().getString());
            }
            return out;
        } catch (RuntimeException e) {
            throw new OrtRuntimeException("ONNX Runtime has no allocator statistics for " + what + ": " + e.getMessage(), e);
        }
    }

    /** Runs and returns every output. */
    public Map<String, OrtTensor> run(Map<String, OrtTensor> inputs) {
        return run(inputs, outputNames);
    }

    @Override
    public void close() {
        try {
            if (beforeClosing != null) {
                beforeClosing.run();
            }
        } finally {
            session.close();
        }
    }
}
