package dev.sagestudio.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.WholeModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link SliceScatterRewrite}: a ScatterND writing whole slices at constant positions becomes Concat + Gather with
 * exactly the values ONNX Runtime's own ScatterND computes; anything else is left as it is.
 */
class SliceScatterRewriteTest {

    private static OnnxGraphBuilder graph(long slices, long... rest) {
        long[] dataShape = new long[rest.length + 1];
        dataShape[0] = slices;
        System.arraycopy(rest, 0, dataShape, 1, rest.length);
        return new OnnxGraphBuilder("scatter").input("data", ElementTypes.FLOAT, dataShape)
                .output("y", ElementTypes.FLOAT, dataShape);
    }

    private static NodeProto.Builder scatter(String data, String indices, String updates, String out) {
        return NodeProto.newBuilder().setOpType("ScatterND").setName("scatter_" + out).addInput(data).addInput(indices)
                .addInput(updates).addOutput(out);
    }

    private static OnnxModel model(OnnxGraphBuilder g) {
        return OnnxModel.of(g.build("tests"), Path.of(".").toAbsolutePath(), "scatter test");
    }

    private static float[] run(OnnxModel model, Map<String, HostArray> inputs) {
        try (OrtRuntime cpu = OrtRuntime.cpu(1); WholeModel whole = WholeModel.open(model, cpu)) {
            double[] y = whole.run(inputs).outputs().get("y").toDoubles();
            float[] out = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                out[i] = (float) y[i];
            }
            return out;
        }
    }

    private static HostArray floats(long[] shape, int seed) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = seed * 1000 + i;
        }
        return HostArray.ofFloats(ElementTypes.FLOAT, shape, v);
    }

    private static List<String> ops(OnnxModel model) {
        return model.graph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    @Test
    void slicesAtConstantPositionsBecomeConcatAndGatherWithOnnxRuntimesOwnValues() {
        // Slices 4, 1 and -1 (= 5) of six are overwritten; negative indices count from the end.
        OnnxGraphBuilder g = graph(6, 3, 2).input("updates", ElementTypes.FLOAT, 3, 3, 2)
                .initializer(TestTensors.int64("at", new long[] {3, 1}, 4, 1, -1))
                .node(scatter("data", "at", "updates", "y"));
        OnnxModel raw = model(g);
        SliceScatterRewrite.Result result = SliceScatterRewrite.apply(raw);

        assertEquals(1, result.rewritten());
        assertEquals(List.of("Concat", "Gather"), ops(result.model()));
        assertTrue(result.describe().orElseThrow().startsWith("1 ScatterND over whole slices -> Concat + Gather"));
        Map<String, HostArray> inputs = Map.of("data", floats(new long[] {6, 3, 2}, 1),
                "updates", floats(new long[] {3, 3, 2}, 2));
        float[] expected = run(raw, inputs);
        assertArrayEquals(expected, run(result.model(), inputs));
        // Slice 5 is the third update's (2000 + 2·6), slice 0 the data's own.
        assertEquals(2012f, expected[5 * 6]);
        assertEquals(1000f, expected[0]);
    }

    @Test
    void theInterleavedRotaryWritesOfAWanExportKeepTheirValues() {
        // diffusers' out[..., 0::2] = a; out[..., 1::2] = b, exported over a transposed empty tensor: two ScatterNDs
        // into the even and the odd slices of an 8-slice buffer.
        OnnxGraphBuilder g = new OnnxGraphBuilder("rope").input("even", ElementTypes.FLOAT, 4, 5)
                .input("odd", ElementTypes.FLOAT, 4, 5).output("y", ElementTypes.FLOAT, 8, 5)
                .initializer(TestTensors.int64("evens", new long[] {4, 1}, 0, 2, 4, 6))
                .initializer(TestTensors.int64("odds", new long[] {4, 1}, 1, 3, 5, 7))
                .initializer(TestTensors.floats("zero", new long[] {}, 0f))
                .initializer(TestTensors.int64("shape", new long[] {2}, 8, 5))
                .node("Expand", List.of("zero", "shape"), List.of("empty"))
                .node(scatter("empty", "evens", "even", "half"))
                .node(scatter("half", "odds", "odd", "y"));
        g.graph().addValueInfo(OnnxGraphBuilder.valueInfo("empty", ElementTypes.FLOAT, 8, 5));
        g.graph().addValueInfo(OnnxGraphBuilder.valueInfo("half", ElementTypes.FLOAT, 8, 5));
        OnnxModel raw = model(g);
        SliceScatterRewrite.Result result = SliceScatterRewrite.apply(raw);

        assertEquals(2, result.rewritten());
        Map<String, HostArray> inputs = Map.of("even", floats(new long[] {4, 5}, 1), "odd", floats(new long[] {4, 5}, 2));
        float[] got = run(result.model(), inputs);
        assertArrayEquals(run(raw, inputs), got);
        for (int slice = 0; slice < 8; slice++) {
            assertEquals((slice % 2 == 0 ? 1000 : 2000) + 5 * (slice / 2), got[slice * 5], "slice " + slice);
        }
    }

    @Test
    void indicesInTheExternalDataFileAreReadThere(@org.junit.jupiter.api.io.TempDir Path folder) throws Exception {
        // torch's dynamo exporter writes every initializer to the external data file, the indices included (the
        // H200 run of 2026-12-06 rewrote nothing in the Wan graphs until this was read).
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.putLong(0).putLong(5).putLong(2);
        java.nio.file.Files.write(folder.resolve("weights.data"), data.array());
        TensorProto external = TensorProto.newBuilder().setName("at").setDataType(ElementTypes.INT64).addDims(3)
                .addDims(1).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", "weights.data")).addExternalData(entry("offset", "0"))
                .addExternalData(entry("length", "24")).build();
        OnnxGraphBuilder g = graph(6, 3, 2).input("updates", ElementTypes.FLOAT, 3, 3, 2).initializer(external)
                .node(scatter("data", "at", "updates", "y"));
        OnnxModel raw = OnnxModel.of(g.build("tests"), folder, "external indices");
        SliceScatterRewrite.Result result = SliceScatterRewrite.apply(raw);

        assertEquals(1, result.rewritten());
        Map<String, HostArray> inputs = Map.of("data", floats(new long[] {6, 3, 2}, 1),
                "updates", floats(new long[] {3, 3, 2}, 2));
        assertArrayEquals(run(raw, inputs), run(result.model(), inputs));
    }

    private static dev.sagestudio.models.onnx.proto.Onnx.StringStringEntryProto entry(String key, String value) {
        return dev.sagestudio.models.onnx.proto.Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value)
                .build();
    }

    @Test
    void whatItCannotProveEqualIsLeftAlone() {
        // A reduction, indices given at run time, indices into two axes, an index out of range, an unknown first axis.
        AttributeProto add = AttributeProto.newBuilder().setName("reduction").setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8("add")).build();
        List<OnnxModel> untouched = List.of(
                model(graph(6, 2).input("u", ElementTypes.FLOAT, 1, 2)
                        .initializer(TestTensors.int64("at", new long[] {1, 1}, 2))
                        .node(scatter("data", "at", "u", "y").addAttribute(add))),
                model(graph(6, 2).input("u", ElementTypes.FLOAT, 1, 2).input("at", ElementTypes.INT64, 1, 1)
                        .node(scatter("data", "at", "u", "y"))),
                model(graph(6, 2).input("u", ElementTypes.FLOAT, 1)
                        .initializer(TestTensors.int64("at", new long[] {1, 2}, 2, 1))
                        .node(scatter("data", "at", "u", "y"))),
                model(graph(6, 2).input("u", ElementTypes.FLOAT, 1, 2)
                        .initializer(TestTensors.int64("at", new long[] {1, 1}, 6))
                        .node(scatter("data", "at", "u", "y"))),
                model(new OnnxGraphBuilder("unknown").input("data", ElementTypes.FLOAT).input("u", ElementTypes.FLOAT, 1, 2)
                        .output("y", ElementTypes.FLOAT).initializer(TestTensors.int64("at", new long[] {1, 1}, 2))
                        .node(scatter("data", "at", "u", "y"))));
        for (OnnxModel model : untouched) {
            SliceScatterRewrite.Result result = SliceScatterRewrite.apply(model);
            assertEquals(0, result.rewritten(), model.graph().getNode(0).toString());
            assertSame(model, result.model());
            assertTrue(result.describe().isEmpty());
        }
    }

    @Test
    void thePartitionPlanSaysWhatWasRewritten() {
        OnnxGraphBuilder g = graph(6, 2).input("u", ElementTypes.FLOAT, 1, 2)
                .initializer(TestTensors.int64("at", new long[] {1, 1}, 2))
                .node(scatter("data", "at", "u", "y"));
        PartitionPlan plan = GraphPartitioner.partition(model(g));
        assertEquals(1, plan.rewrites().size());
        assertTrue(plan.describe().contains("graph rewrite: 1 ScatterND over whole slices -> Concat + Gather"),
                plan.describe());
        assertTrue(plan.model().graph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("ScatterND")));
    }
}
