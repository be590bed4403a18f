package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.OnnxGraphBuilder;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.runtime.InPlaceKernelStepsTest.HostAddressKernel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device path's plan of allocations, bindings and copies, run against a {@link DeviceMemory} that
 * is host memory in disguise: tensors are marked as not host-readable, so any step that tried to read
 * one through the host (instead of through the memory's counted copies) would fail.
 */
public class DeviceMemoryPlanTest extends CpuRuntimeTest {
    /** Host memory behind the {@link DeviceMemory} interface, counting what the runner asks of it. */
    public static final class CountingMemory implements DeviceMemory {
        int allocations;
        int live;
        long liveBytes;
        int copiesIn;
        int copiesOut;

        @Override
        public String describe() {
            return "counting host memory";
        }

        @Override
        public Allocation allocate(long bytes) {
            BytePointer memory = new BytePointer(bytes);
            allocations++;
            live++;
            liveBytes += bytes;
            return new Allocation() {
                boolean closed;

                @Override
                public long address() {
                    return memory.address();
                }

                @Override
                public long bytes() {
                    return bytes;
                }

                @Override
                public void close() {
                    if (!closed) {
                        closed = true;
                        live--;
                        liveBytes -= bytes;
                        memory.close();
                    }
                }
            };
        }

        @Override
        public void copyIn(long address, byte[] source) {
            copiesIn++;
            new BytePointer(NativeAddress.of(address, source.length)).capacity(source.length).put(source);
        }

        @Override
        public void copyOut(long address, byte[] target) {
            copiesOut++;
            new BytePointer(NativeAddress.of(address, target.length)).capacity(target.length).get(target);
        }
    }

    static OnnxModel twoBlocks() {
        TinyGraph g = new TinyGraph(41);
        String x = g.input("x", 2, 10, 32);
        String h = g.attentionBlock(x, 32, x, 32, Layer.self(4, 8).fourD().causal());
        h = g.attentionBlock(h, 32, h, 32, Layer.self(4, 8).gqa(2));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 2, 10, 32);
        return g.model("device plan");
    }

    /** The two-block model with its input, ONNX Runtime's output for it, and counting memory to run it in. */
    static final class Fixture {
        final PartitionPlan plan = GraphPartitioner.partition(twoBlocks());
        final Map<String, HostArray> inputs = Map.of("x", PartitionedModelTest.randomInput(41, 2, 10, 32));
        final CountingMemory counting = new CountingMemory();
        final TensorMemory memory = TensorMemory.device(counting, OrtRuntime.hostMemory(), false);
        final RunResult expected;

        Fixture() {
            try (WholeModel whole = WholeModel.open(plan.model(), runtime)) {
                expected = whole.run(inputs);
            }
        }

        PartitionedModel partitioned(AttentionSteps steps) {
            return new PartitionedModel(plan, steps, runtime, memory);
        }

        AccuracyMetrics compare(RunResult actual) {
            return OutputComparison.compare(expected.outputs(), actual.outputs()).get("y");
        }
    }

    /** {@code inner}, except that it refuses the shapes {@code refuses} gives a reason for. */
    static DeviceAttentionKernel refusing(String name, Function<AttentionShape, Optional<String>> refuses,
                                          DeviceAttentionKernel inner) {
        return new DeviceAttentionKernel() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Optional<String> unsupportedReason(AttentionShape shape) {
                return refuses.apply(shape).or(() -> inner.unsupportedReason(shape));
            }

            @Override
            public void enqueue(AttentionShape shape, double scale, long q, long k, long v, long o, long stream) {
                inner.enqueue(shape, scale, q, k, v, o, stream);
            }
        };
    }

    @Test
    void tensorsStayInTheRunnersMemoryFromTheModelInputsToItsOutputs() {
        Fixture f = new Fixture();
        PartitionPlan plan = f.plan;
        CountingMemory counting = f.counting;
        HostAddressKernel kernel = new HostAddressKernel();
        try (PartitionedModel partitioned = f.partitioned(new InPlaceKernelSteps(kernel, 0, f.memory))) {
            RunResult actual = partitioned.run(f.inputs);
            assertEquals(2, kernel.launches);
            assertEquals(0, actual.transfers().staging(), actual.transfers().toString());
            assertEquals(1, counting.copiesIn, "only the model input is copied in");
            assertEquals(1, counting.copiesOut, "only the model output is copied out");
            assertEquals(1, actual.transfers().uploads());
            assertEquals(1, actual.transfers().downloads());
            // The input and one O per attention step came from the memory; ORT allocated the segment outputs.
            assertEquals(1 + plan.attentionSteps().size(), counting.allocations);
            assertEquals(0, counting.live, "every allocation is freed after its last reader");
            AccuracyMetrics m = f.compare(actual);
            assertTrue(m.cosineSimilarity() >= 0.9999 && m.maxAbsError() < 1e-4, m.toString());
        }
    }

    @Test
    void aShapeTheKernelRefusesRunsOnTheHostFallbackWithItsCopiesCountedAndReported() {
        Fixture f = new Fixture();
        CountingMemory counting = f.counting;
        HostAddressKernel inner = new HostAddressKernel();
        DeviceAttentionKernel noCausal = refusing("test-no-causal",
                shape -> shape.causal() ? Optional.of("no causal masks in this test kernel") : Optional.empty(), inner);
        InPlaceKernelSteps steps = new InPlaceKernelSteps(noCausal, 0, f.memory).withHostFallback(new ReferenceAttention());
        try (PartitionedModel partitioned = f.partitioned(steps)) {
            RunResult actual = partitioned.run(f.inputs);
            assertEquals(1, inner.launches, "the non-causal block runs in place");
            assertEquals(4, actual.transfers().staging(), "Q, K, V out and O back for the causal block");
            assertEquals(1 + 1, counting.copiesIn, "model input + O of the fallback");
            assertEquals(1 + 3, counting.copiesOut, "model output + Q, K, V of the fallback");
            assertEquals(0, counting.live);
            assertEquals(1, steps.fallbacks().size(), steps.fallbacks().toString());
            String reason = steps.fallbacks().get(0);
            assertTrue(reason.contains("test-no-causal cannot run") && reason.contains("no causal masks in this test kernel")
                    && reason.contains("ran cpu-reference on the host instead"), reason);
            AccuracyMetrics m = f.compare(actual);
            assertTrue(m.cosineSimilarity() >= 0.9999 && m.maxAbsError() < 1e-4, m.toString());
        }
    }

    @Test
    void withoutAFallbackARefusedShapeStopsTheRunWithTheKernelsReason() {
        Fixture f = new Fixture();
        HostAddressKernel never = new HostAddressKernel();
        DeviceAttentionKernel refusingAll = refusing("test-refusing", shape -> Optional.of("refuses everything"), never);
        try (PartitionedModel partitioned = f.partitioned(new InPlaceKernelSteps(refusingAll, 0, f.memory))) {
            UnsupportedAttentionException e = assertThrows(UnsupportedAttentionException.class,
                    () -> partitioned.run(f.inputs));
            assertTrue(e.getMessage().contains("refuses everything"), e.getMessage());
        }
        assertEquals(0, never.launches);
    }

    @Test
    void aTensorOutsideHostMemoryIsNeverReadThroughTheHost() {
        CountingMemory counting = new CountingMemory();
        TensorMemory memory = TensorMemory.device(counting, OrtRuntime.hostMemory(), false);
        try (OrtTensor tensor = memory.upload(PartitionedModelTest.randomInput(3, 2, 3))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, tensor::toHost);
            assertTrue(e.getMessage().contains("device memory"), e.getMessage());
            HostArray back = memory.download(tensor);
            assertArrayEquals(PartitionedModelTest.randomInput(3, 2, 3).bytes(), back.bytes());
        }
        assertEquals(0, counting.live);
    }

    @Test
    void segmentGraphsAsOrtRunsThemCarryNoCopyNodesOnTheCpu(@TempDir Path graphs) {
        OnnxModel model = twoBlocks();
        PartitionPlan plan = GraphPartitioner.partition(model);
        try (OrtRuntime saving = OrtRuntime.cpu(1).saveOptimizedModelsIn(graphs);
             PartitionedModel partitioned = new PartitionedModel(plan, new InPlaceKernelSteps(new HostAddressKernel(), 0),
                     saving)) {
            partitioned.run(Map.of("x", PartitionedModelTest.randomInput(41, 2, 10, 32)));
        }
        assertEquals(plan.segmentCount(), OptimizedGraphs.graphs(graphs));
        assertEquals(0, OptimizedGraphs.copyNodes(graphs));
    }

    @Test
    void copyNodesAreCountedInTheMainGraphAndInSubgraphs() {
        NodeProto.Builder toHost = OnnxGraphBuilder.node("", "MemcpyToHost", List.of("a"), "b");
        NodeProto.Builder fromHost = OnnxGraphBuilder.node("", "MemcpyFromHost", List.of("c"), "d");
        NodeProto.Builder relu = OnnxGraphBuilder.node("", "Relu", List.of("b"), "c");
        GraphProto branch = new OnnxGraphBuilder("then").node(fromHost).node(relu).graph().build();
        NodeProto.Builder conditional = OnnxGraphBuilder.node("", "If", List.of("flag"), "e")
                .addAttribute(OnnxGraphBuilder.graphAttr("then_branch", branch))
                .addAttribute(OnnxGraphBuilder.graphAttr("else_branch", branch));
        ModelProto model = new OnnxGraphBuilder("g").node(toHost).node(relu).node(conditional).build("tests");
        assertEquals(3, OptimizedGraphs.copyNodes(model));
    }
}
