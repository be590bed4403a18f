package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * The in-place contract of the device path, exercised on host memory: a kernel given only the
 * addresses of Q, K, V and O, and a runner that copies nothing between the segments and the kernel.
 */
public class InPlaceKernelStepsTest extends CpuRuntimeTest {
    /** A float32 kernel that reads and writes host addresses, computing with the CPU reference. */
    public static final class HostAddressKernel implements DeviceAttentionKernel {
        int launches;

        @Override
        public String name() {
            return "test-host-address-reference";
        }

        @Override
        public Optional<String> unsupportedReason(AttentionShape shape) {
            return shape.dtype() == DType.FP32 ? Optional.empty() : Optional.of("float32 only");
        }

        @Override
        public void enqueue(AttentionShape s, double scale, long q, long k, long v, long o, long stream) {
            launches++;
            HostTensor hq = read(q, s, s.qHeads(), s.qLen());
            HostTensor hk = read(k, s, s.kvHeads(), s.kvLen());
            HostTensor hv = read(v, s, s.kvHeads(), s.kvLen());
            float[] out = new ReferenceAttention().compute(new AttentionRequest(hq, hk, hv, s.causal(), scale))
                    .toArray();
            new FloatPointer(at(o, out.length)).put(out);
        }

        private static HostTensor read(long address, AttentionShape s, int heads, int tokens) {
            float[] values = new float[s.batch() * heads * tokens * s.headDim()];
            new FloatPointer(at(address, values.length)).get(values);
            return HostTensor.of(s.dtype(), s.layout(), s.batch(), heads, tokens, s.headDim(), values);
        }

        private static Pointer at(long where, long floats) {
            return new Pointer() {
                {
                    this.address = where;
                    this.limit = floats * 4;
                    this.capacity = floats * 4;
                }
            };
        }
    }

    @Test
    void kernelsWorkingInPlaceMatchOrtWithoutAnyStagingCopy() {
        TinyGraph g = new TinyGraph(31);
        String x = g.input("x", 2, 10, 32);
        String h = g.attentionBlock(x, 32, x, 32, Layer.self(4, 8).fourD().causal());
        h = g.attentionBlock(h, 32, h, 32, Layer.self(4, 8).gqa(2));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 2, 10, 32);
        OnnxModel model = g.model("in place");
        Map<String, HostArray> inputs = Map.of("x", PartitionedModelTest.randomInput(31, 2, 10, 32));
        HostAddressKernel kernel = new HostAddressKernel();
        RunResult expected;
        try (WholeModel whole = WholeModel.open(model, runtime)) {
            expected = whole.run(inputs);
        }
        try (PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(model),
                new InPlaceKernelSteps(kernel, 0), runtime)) {
            RunResult actual = partitioned.run(inputs);
            assertEquals(2, kernel.launches);
            assertEquals(0, actual.transfers().staging(), actual.transfers().toString());
            assertEquals(1, actual.transfers().uploads());
            assertEquals(1, actual.transfers().downloads());
            AccuracyMetrics m = OutputComparison.compare(expected.outputs(), actual.outputs()).get("y");
            assertTrue(m.cosineSimilarity() >= 0.9999 && m.maxAbsError() < 1e-4, m.toString());
        }
    }

    @Test
    void aKernelThatCannotRunAShapeSaysSoInsteadOfRunningIt() {
        TinyGraph g = new TinyGraph(32);
        String x = g.input("x", 1, 4, 16);
        String[] qkv = new String[3];
        for (int i = 0; i < 3; i++) {
            qkv[i] = "h" + i;
            g.graph().addNode(g.node("Cast", new String[] {x}, qkv[i]).addAttribute(TinyGraph.intAttr("to", 10)));
        }
        g.graph().addNode(g.node("Attention", qkv, "a").addAttribute(TinyGraph.intAttr("q_num_heads", 2))
                .addAttribute(TinyGraph.intAttr("kv_num_heads", 2)));
        g.graph().addNode(g.node("Cast", new String[] {"a"}, "y").addAttribute(TinyGraph.intAttr("to", 1)));
        g.output("y", 1, 4, 16);
        HostAddressKernel kernel = new HostAddressKernel();
        try (PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(g.model("fp16")),
                new InPlaceKernelSteps(kernel, 0), runtime)) {
            UnsupportedAttentionException e = assertThrows(UnsupportedAttentionException.class,
                    () -> partitioned.run(Map.of("x", PartitionedModelTest.randomInput(1, 1, 4, 16))));
            assertTrue(e.getMessage().contains("float32 only"), e.getMessage());
            assertEquals(0, kernel.launches);
        }
    }

    @Test
    void stepsWaitingForEachCallCountTheWaitInTheCallsTime() {
        TinyGraph g = new TinyGraph(33);
        String x = g.input("x", 1, 6, 16);
        String h = g.attentionBlock(x, 16, x, 16, Layer.self(2, 8).fourD());
        h = g.attentionBlock(h, 16, h, 16, Layer.self(2, 8));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 1, 6, 16);
        HostAddressKernel kernel = new HostAddressKernel();
        int[] waits = {0};
        Runnable slowStream = () -> {
            waits[0]++;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(g.model("waits")),
                new InPlaceKernelSteps(kernel, 0).waitingForEachCall(slowStream), runtime)) {
            RunResult r = partitioned.run(Map.of("x", PartitionedModelTest.randomInput(2, 1, 6, 16)));
            assertEquals(2, waits[0], "one wait after each of the 2 kernel launches");
            assertEquals(2, kernel.launches);
            for (HostAttentionStep.Call call : r.attentionCalls()) {
                assertTrue(call.backendNanos() >= 20_000_000L, call.backendNanos() + " ns");
            }
            assertTrue(r.attentionNanos() >= 40_000_000L);
        }
    }
}
