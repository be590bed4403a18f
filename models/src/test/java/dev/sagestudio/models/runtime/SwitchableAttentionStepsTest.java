package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One partitioned model, its attention switched between runs, computes what a model opened for each backend does. */
class SwitchableAttentionStepsTest {

    private static AttentionSteps steps(String backend) {
        return AttentionSteps.onHost(BackendCatalog.standard().require(backend).createCpu());
    }

    private static double[] output(PartitionedModel model, Map<String, HostArray> inputs) {
        return model.run(inputs).outputs().get("y").toDoubles();
    }

    @Test
    void eachRunUsesTheStepsSwitchedInLast() {
        TinyGraph g = new TinyGraph(7);
        String x = g.input("x", 1, 32, 128);
        String h = g.attentionBlock(x, 128, x, 128, Layer.self(2, 64).fourD());
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 1, 32, 128);
        OnnxModel model = g.model("switch");
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 3);
        try (OrtRuntime cpu = OrtRuntime.cpu(1);
             PartitionedModel reference = new PartitionedModel(plan, steps("cpu-reference"), cpu);
             PartitionedModel quantized = new PartitionedModel(plan, steps("cpu-sage-int8-fp16"), cpu)) {
            double[] exact = output(reference, inputs);
            double[] int8 = output(quantized, inputs);
            assertFalse(Arrays.equals(exact, int8), "the two backends must differ for this test to mean anything");

            SwitchableAttentionSteps switchable = new SwitchableAttentionSteps(steps("cpu-reference"));
            try (PartitionedModel shared = new PartitionedModel(plan, switchable, cpu)) {
                assertArrayEquals(exact, output(shared, inputs));
                switchable.use(steps("cpu-sage-int8-fp16"));
                assertEquals("cpu-sage-int8-fp16", shared.attention().backendName());
                assertArrayEquals(int8, output(shared, inputs));
                switchable.use(steps("cpu-reference"));
                assertArrayEquals(exact, output(shared, inputs));
            }
        }
    }

    @Test
    void closingClosesEveryStepsThatWasUsedOnce() {
        int[] closed = new int[2];
        AttentionSteps a = counting(steps("cpu-reference"), closed, 0);
        AttentionSteps b = counting(steps("cpu-sage-int8-fp16"), closed, 1);
        SwitchableAttentionSteps switchable = new SwitchableAttentionSteps(a);
        switchable.use(b);
        switchable.use(a);
        switchable.close();
        assertArrayEquals(new int[] {1, 1}, closed);
    }

    private static AttentionSteps counting(AttentionSteps inner, int[] closed, int index) {
        return new AttentionSteps() {
            @Override
            public String backendName() {
                return inner.backendName();
            }

            @Override
            public OrtTensor run(dev.sagestudio.models.onnx.AttentionNode node, OrtTensor q, OrtTensor k, OrtTensor v,
                                 HostAttentionStep.CallSink sink, Transfers transfers) {
                return inner.run(node, q, k, v, sink, transfers);
            }

            @Override
            public void close() {
                closed[index]++;
            }
        };
    }
}
