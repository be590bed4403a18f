package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.CudaException;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.runtime.DeviceMemoryPlanTest.CountingMemory;
import dev.sagestudio.models.runtime.DeviceMemoryPlanTest.Fixture;
import dev.sagestudio.models.runtime.InPlaceKernelStepsTest.HostAddressKernel;
import java.util.ArrayList;
import dev.sagestudio.models.onnx.ElementTypes;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

/**
 * The device path's fidelity guard and its faults, run against host memory posing as the device (the two-block model
 * of {@link DeviceMemoryPlanTest}): every attention output is checked where it lies by an {@link AttentionOutputCheck}
 * read once per run; a quantized kernel's non-finite node is computed again by the full-precision kernel, the whole run
 * repeated with that node switched, and reported; a failed kernel launch or allocation mid-run leaves nothing allocated
 * and no stale finding, and the next run gives the clean result. The faults come through the production seams
 * ({@link DeviceAttentionKernel}, {@link DeviceMemory}), as the CUDA implementations raise them.
 */
public class DevicePathFidelityTest extends CpuRuntimeTest {

    /** The contract of the device check, on host float32 tensors: per slot a count and the first bad index. */
    public static final class HostOutputCheck implements AttentionOutputCheck {
        final long[] counts;
        final long[] first;
        final String[] values;
        int reads;
        boolean closed;

        public HostOutputCheck(int slots) {
            counts = new long[slots];
            first = new long[slots];
            values = new String[slots];
        }

        @Override
        public int slots() {
            return counts.length;
        }

        @Override
        public void enqueue(int slot, OrtTensor output, long stream) {
            float[] v = new float[Math.toIntExact(output.byteSize() / 4)];
            new FloatPointer(NativeAddress.of(output.address(), output.byteSize())).capacity(v.length).get(v);
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i]) && counts[slot]++ == 0) {
                    first[slot] = i;
                    values[slot] = Float.isNaN(v[i]) ? "NaN" : v[i] > 0 ? "+Inf" : "-Inf";
                }
            }
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public List<Finding> takeFindings(long stream) {
            reads++;
            List<Finding> found = new ArrayList<>();
            for (int s = 0; s < counts.length; s++) {
                if (counts[s] > 0) {
                    found.add(new Finding(s, counts[s], first[s], values[s]));
                }
                counts[s] = 0;
            }
            return found;
        }
    }

    /** A host kernel renamed: NaN into O[3] on the calls in {@code poisoned}, failed launches on {@code failing}. */
    public static final class FaultyKernel extends FaultyDeviceKernel {
        final Set<Integer> poisoned;
        final Set<Integer> failing;

        public FaultyKernel(String name, Set<Integer> poisoned, Set<Integer> failing) {
            super(name, new HostAddressKernel());
            this.poisoned = poisoned;
            this.failing = failing;
        }

        @Override
        protected boolean failsLaunch(int call) {
            return failing.contains(call);
        }

        @Override
        protected boolean poisons(int call) {
            return poisoned.contains(call);
        }

        @Override
        protected void writeNaN(long o, long stream) {
            new FloatPointer(NativeAddress.of(o + 12, 4)).capacity(1).put(Float.NaN);
        }
    }

    record Told(NonFiniteOutput bad, Optional<String> reRunWith, Optional<NonFiniteOutput> stillBad) {}

    private static PartitionedModel checked(Fixture f, DeviceAttentionKernel kernel, DeviceAttentionKernel full,
                                            HostOutputCheck check, List<Told> told) {
        PartitionedModel model = f.partitioned(new InPlaceKernelSteps(kernel, 0, f.memory)
                .withOutputCheck(check, full));
        model.onNonFinite((bad, with, still) -> told.add(new Told(bad, with, still)));
        return model;
    }

    private static boolean finite(RunResult r) {
        for (double v : r.outputs().get("y").toDoubles()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static void assertClean(Fixture f, RunResult r) {
        AccuracyMetrics m = f.compare(r);
        assertTrue(m.cosineSimilarity() >= 0.9999 && m.maxAbsError() < 1e-4, m.toString());
    }

    @Test
    void aQuantizedNaNAtOneNodeIsComputedAgainAtFullPrecisionAndReportedWithNodeAndBackend() {
        Fixture f = new Fixture();
        FaultyKernel quantized = new FaultyKernel("test-quantized", Set.of(0), Set.of());
        FaultyKernel full = new FaultyKernel("test-full", Set.of(), Set.of());
        HostOutputCheck check = new HostOutputCheck(2);
        List<Told> told = new ArrayList<>();
        String firstNode = f.plan.attentionSteps().get(0).node().label();
        try (PartitionedModel model = checked(f, quantized, full, check, told)) {
            RunResult r = model.run(f.inputs);
            assertClean(f, r);
            // the NaN of node 1 spread to node 2; only node 1, the first in execution order, was switched
            assertEquals(List.of(new Told(new NonFiniteOutput(firstNode, "test-quantized", 1, 3, "NaN"),
                    Optional.of("test-full"), Optional.empty())), told);
            assertEquals(1, full.calls(), "node 1 again, at full precision");
            assertEquals(3, quantized.calls(), "two nodes, then node 2 again");
            assertEquals(2, check.reads, "one read per run of the plan");
            assertEquals(0, f.counting.live, "the first run's tensors were freed");
            told.clear();
            assertClean(f, model.run(f.inputs));
            assertEquals(List.of(), told, "the next run is quantized again and clean");
            assertEquals(5, quantized.calls());
            assertEquals(3, check.reads);
        }
        assertTrue(check.closed, "the check's slots are freed with the model");
    }

    @Test
    void aNaNOfTheFullPrecisionKernelTooIsReportedAsStillBadAndTheOutputStaysNonFinite() {
        Fixture f = new Fixture();
        FaultyKernel quantized = new FaultyKernel("test-quantized", Set.of(1), Set.of());
        FaultyKernel full = new FaultyKernel("test-full", Set.of(0), Set.of());
        HostOutputCheck check = new HostOutputCheck(2);
        List<Told> told = new ArrayList<>();
        String secondNode = f.plan.attentionSteps().get(1).node().label();
        try (PartitionedModel model = checked(f, quantized, full, check, told)) {
            RunResult r = model.run(f.inputs);
            assertFalse(finite(r));
            assertEquals(List.of(new Told(new NonFiniteOutput(secondNode, "test-quantized", 1, 3, "NaN"),
                    Optional.of("test-full"), Optional.of(new NonFiniteOutput(secondNode, "test-full", 1, 3, "NaN")))),
                    told);
        }
    }

    @Test
    void withoutAFullPrecisionKernelTheFirstBadNodeIsReportedAndNotReRun() {
        Fixture f = new Fixture();
        FaultyKernel flash = new FaultyKernel("test-flash", Set.of(0), Set.of());
        HostOutputCheck check = new HostOutputCheck(2);
        List<Told> told = new ArrayList<>();
        String firstNode = f.plan.attentionSteps().get(0).node().label();
        try (PartitionedModel model = checked(f, flash, null, check, told)) {
            assertFalse(finite(model.run(f.inputs)));
            assertEquals(List.of(new Told(new NonFiniteOutput(firstNode, "test-flash", 1, 3, "NaN"), Optional.empty(),
                    Optional.empty())), told);
            assertEquals(2, flash.calls(), "run once");
        }
    }

    @Test
    void aBadOutputOfTheHostFallbackIsFullPrecisionAlreadyAndNotReRun() {
        Fixture f = new Fixture();
        // the kernel refuses causal blocks (the first), which run on cpu-reference on the host; a NaN in the model's
        // input makes every output NaN
        DeviceAttentionKernel noCausal = DeviceMemoryPlanTest.refusing("test-quantized",
                shape -> shape.causal() ? Optional.of("no causal masks here") : Optional.empty(),
                new FaultyKernel("test-quantized", Set.of(), Set.of()));
        FaultyKernel full = new FaultyKernel("test-full", Set.of(), Set.of());
        HostOutputCheck check = new HostOutputCheck(2);
        List<Told> told = new ArrayList<>();
        double[] given = f.inputs.get("x").toDoubles();
        float[] x = new float[given.length];
        for (int i = 1; i < x.length; i++) {
            x[i] = (float) given[i];
        }
        x[0] = Float.NaN;
        String firstNode = f.plan.attentionSteps().get(0).node().label();
        try (PartitionedModel model = f.partitioned(new InPlaceKernelSteps(noCausal, 0, f.memory)
                .withHostFallback(new dev.sagestudio.attention.cpu.ReferenceAttention()).withOutputCheck(check, full))) {
            model.onNonFinite((bad, with, still) -> told.add(new Told(bad, with, still)));
            assertFalse(finite(model.run(Map.of("x", HostArray.ofFloats(ElementTypes.FLOAT, f.inputs.get("x").shape(),
                    x)))));
            assertEquals(1, told.size(), told.toString());
            assertEquals(firstNode, told.get(0).bad().node());
            assertEquals("cpu-reference", told.get(0).bad().backend());
            assertEquals(Optional.empty(), told.get(0).reRunWith());
            assertEquals(0, full.calls(), "not re-run");
        }
    }

    @Test
    void aKernelLaunchFailureMidRunLeavesNoAllocationOrStaleFindingAndTheNextRunIsClean() {
        Fixture f = new Fixture();
        // call 0 writes a NaN that the check counts, call 1 fails: the count must not leak into the next run
        FaultyKernel quantized = new FaultyKernel("test-quantized", Set.of(0), Set.of(1));
        HostOutputCheck check = new HostOutputCheck(2);
        List<Told> told = new ArrayList<>();
        try (PartitionedModel model = checked(f, quantized, new FaultyKernel("test-full", Set.of(), Set.of()), check,
                told)) {
            CudaException e = assertThrows(CudaException.class, () -> model.run(f.inputs));
            assertTrue(e.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED") && e.getMessage().contains("test-quantized"),
                    e.getMessage());
            assertEquals(0, f.counting.live, "nothing of the failed run stays allocated");
            assertClean(f, model.run(f.inputs));
            assertEquals(List.of(), told);
        }
    }

    @Test
    void runningOutOfDeviceMemoryMidRunLeavesNothingAllocatedAndTheNextRunIsClean() {
        Fixture f = new Fixture();
        CountingMemory counting = f.counting;
        // the third allocation of the first run (node 2's O) fails as cuMemAlloc does when the device is full
        FailingAllocations failingOnce = new FailingAllocations(counting);
        failingOnce.failAt(2);
        TensorMemory memory = TensorMemory.device(failingOnce, OrtRuntime.hostMemory(), false);
        HostOutputCheck check = new HostOutputCheck(2);
        try (PartitionedModel model = new PartitionedModel(f.plan, new InPlaceKernelSteps(new HostAddressKernel(), 0,
                memory).withOutputCheck(check, null), runtime, memory)) {
            CudaException e = assertThrows(CudaException.class, () -> model.run(f.inputs));
            assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
            assertEquals(0, counting.live, "nothing of the failed run stays allocated");
            failingOnce.failAt(-1);
            assertClean(f, model.run(f.inputs));
        }
    }
}
