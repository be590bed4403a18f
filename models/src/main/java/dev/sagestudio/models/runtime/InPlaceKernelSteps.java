package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.attention.AttentionBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Steps computed by a {@link DeviceAttentionKernel} where the tensors are: the kernel reads Q, K and V
 * at the addresses ONNX Runtime left them and writes O into a tensor the next segment reads, so the
 * runner itself copies nothing (staging stays 0).
 *
 * <p>O is allocated in the runner's {@link TensorMemory}: CUDA memory on the device path (with
 * {@code GpuDeviceKernel}), host memory for kernels that work on host addresses (the CPU tests).
 * With {@link #withOutputCheck} every O is checked for NaN/Inf where it lies, and a node can be switched
 * to a full-precision kernel for a re-run ({@link PartitionedModel} does both).
 */
public final class InPlaceKernelSteps implements AttentionSteps {
    private static final System.Logger LOG = System.getLogger(InPlaceKernelSteps.class.getName());

    private final DeviceAttentionKernel kernel;
    private final long stream;
    private final TensorMemory memory;
    private final AttentionBackend hostFallback;
    private final AttentionOutputCheck check;
    private final DeviceAttentionKernel fullPrecision;
    /** Run after each enqueue and counted in the call's time; null: the call's time is only the time to queue it. */
    private final Runnable waitForKernel;
    private final Map<String, String> fallbacks = Collections.synchronizedMap(new LinkedHashMap<>());
    /** The check's slot of each node, in the order the nodes first ran; what ran there since the last take. */
    private final Map<String, Integer> slots = new LinkedHashMap<>();
    private final Map<Integer, String> ranAt = new HashMap<>();
    private Set<String> atFullPrecision = Set.of();

    /** O in host memory: for kernels that work on host addresses. */
    public InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream) {
        this(kernel, stream, TensorMemory.host());
    }

    /** O allocated in {@code memory}, the memory the partitioned model keeps its tensors in. */
    public InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream, TensorMemory memory) {
        this(kernel, stream, memory, null, null, null, null);
    }

    private InPlaceKernelSteps(DeviceAttentionKernel kernel, long stream, TensorMemory memory,
                               AttentionBackend hostFallback, AttentionOutputCheck check,
                               DeviceAttentionKernel fullPrecision, Runnable waitForKernel) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.stream = stream;
        this.memory = Objects.requireNonNull(memory, "memory");
        this.hostFallback = hostFallback;
        this.check = check;
        this.fullPrecision = fullPrecision;
        this.waitForKernel = waitForKernel;
    }

    /**
     * The same steps, except that a shape the kernel refuses runs on {@code backend} on the host: Q, K
     * and V are copied out of the runner's memory and O back (counted as staging), and the reason is
     * logged and listed in {@link #fallbacks()}. Without a fallback such a shape stops the run.
     */
    public InPlaceKernelSteps withHostFallback(AttentionBackend backend) {
        return new InPlaceKernelSteps(kernel, stream, memory, Objects.requireNonNull(backend, "backend"), check,
                fullPrecision, waitForKernel);
    }

    /**
     * The same steps, each followed by {@code waitForStream} (e.g. a stream synchronize) inside its timed span, so
     * that a call's time is the kernel's run time rather than the time to queue it: for step timings that split a
     * step into attention and the rest. Costs one wait per attention call.
     */
    public InPlaceKernelSteps waitingForEachCall(Runnable waitForStream) {
        return new InPlaceKernelSteps(kernel, stream, memory, hostFallback, check, fullPrecision,
                Objects.requireNonNull(waitForStream, "waitForStream"));
    }

    /**
     * The same steps, with every attention output checked for NaN/Inf by {@code check} right after the kernel that
     * wrote it, on the same stream (one slot per node; {@link #takeNonFinite()} reads them). {@code fullPrecision},
     * if not null, is the kernel that re-runs nodes whose output was not finite ({@link #runAtFullPrecision}).
     */
    public InPlaceKernelSteps withOutputCheck(AttentionOutputCheck check, DeviceAttentionKernel fullPrecision) {
        return new InPlaceKernelSteps(kernel, stream, memory, hostFallback, Objects.requireNonNull(check, "check"),
                fullPrecision, waitForKernel);
    }

    @Override
    public List<NonFiniteOutput> takeNonFinite() {
        if (check == null) {
            return List.of();
        }
        List<AttentionOutputCheck.Finding> found = check.takeFindings(stream);
        List<String> nodes = List.copyOf(slots.keySet());
        List<NonFiniteOutput> bad = new ArrayList<>(found.size());
        for (AttentionOutputCheck.Finding f : found) {
            bad.add(new NonFiniteOutput(nodes.get(f.slot()), ranAt.getOrDefault(f.slot(), kernel.name()), f.count(),
                    f.firstIndex(), f.firstValue()));
        }
        ranAt.clear();
        return bad;
    }

    @Override
    public void close() {
        if (check != null) {
            check.close();
        }
    }

    @Override
    public Optional<String> fullPrecision() {
        return Optional.ofNullable(fullPrecision).map(DeviceAttentionKernel::name);
    }

    @Override
    public void runAtFullPrecision(Set<String> nodes) {
        if (fullPrecision == null && !nodes.isEmpty()) {
            AttentionSteps.super.runAtFullPrecision(nodes);
        }
        atFullPrecision = Set.copyOf(nodes);
    }

    @Override
    public List<String> fallbacks() {
        synchronized (fallbacks) {
            return List.copyOf(fallbacks.values());
        }
    }

    @Override
    public String backendName() {
        return kernel.name();
    }

    @Override
    public OrtTensor run(AttentionNode node, OrtTensor q, OrtTensor k, OrtTensor v, HostAttentionStep.CallSink sink,
                         Transfers transfers) {
        if (q.elemType() != k.elemType() || q.elemType() != v.elemType()) {
            throw new AttentionStepException(node.label() + ": Q, K and V have different element types: "
                    + q.describe() + ", " + k.describe() + ", " + v.describe());
        }
        AttentionShape shape = HostAttentionStep.shapeOf(node, q.elemType(), q.shape(), k.shape(), v.shape());
        DeviceAttentionKernel chosen = atFullPrecision.contains(node.label()) ? fullPrecision : kernel;
        Optional<String> unsupported = chosen.unsupportedReason(shape);
        if (unsupported.isPresent()) {
            if (hostFallback == null) {
                throw new UnsupportedAttentionException(chosen.name(), shape, unsupported.get());
            }
            OrtTensor out = onHost(node, chosen, shape, unsupported.get(), q, k, v, sink, transfers);
            try {
                return checked(node, hostFallback.name(), out);
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
        }
        OrtTensor out = memory.allocate(q.elemType(), q.shape());
        try {
            long start = System.nanoTime();
            chosen.enqueue(shape, node.scale().orElse(shape.defaultScale()), q.address(), k.address(), v.address(),
                    out.address(), stream);
            if (waitForKernel != null) {
                waitForKernel.run();
            }
            sink.accept(new HostAttentionStep.Call(node, shape, System.nanoTime() - start));
            return checked(node, chosen.name(), out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Queues the check of {@code out} (written by {@code backend} at {@code node}) when these steps check. */
    private OrtTensor checked(AttentionNode node, String backend, OrtTensor out) {
        if (check != null) {
            int slot = slots.computeIfAbsent(node.label(), label -> slots.size());
            if (slot >= check.slots()) {
                throw new IllegalStateException("the attention output check has " + check.slots() + " slots, and "
                        + node.label() + " is attention node " + (slot + 1) + " of this model");
            }
            ranAt.put(slot, backend);
            check.enqueue(slot, out, stream);
        }
        return out;
    }

    private OrtTensor onHost(AttentionNode node, DeviceAttentionKernel refused, AttentionShape shape, String reason,
                             OrtTensor q, OrtTensor k, OrtTensor v, HostAttentionStep.CallSink sink,
                             Transfers transfers) {
        fallbacks.computeIfAbsent(node.label(), label -> {
            String message = label + ": " + refused.name() + " cannot run " + shape.describe() + " (" + reason
                    + "); ran " + hostFallback.name() + " on the host instead, copying Q, K, V and O across";
            LOG.log(System.Logger.Level.WARNING, message);
            return message;
        });
        if (memory == TensorMemory.host()) {
            return HostAttentionStep.run(node, hostFallback, q, k, v, sink, transfers);
        }
        // HostAttentionStep counts these crossings as staging (3 in, 1 out).
        try (OrtTensor hq = OrtTensor.copyOf(memory.download(q));
             OrtTensor hk = OrtTensor.copyOf(memory.download(k));
             OrtTensor hv = OrtTensor.copyOf(memory.download(v));
             OrtTensor ho = HostAttentionStep.run(node, hostFallback, hq, hk, hv, sink, transfers)) {
            return memory.upload(ho.toHost());
        }
    }
}
