package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sagestudio.models.onnx.proto.Onnx.StringStringEntryProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtRuntimeTest {
    @TempDir
    Path dir;

    @Test
    void runsSkipTheirWaitOnlyOnTheDevicePathsOwnStream() {
        // On the CPU there is no stream to order the next segment after this one: the wait cannot be skipped.
        try (OrtRuntime cpu = OrtRuntime.cpu(1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cpu.queueRunsWithoutWaiting(() -> { }));
            assertTrue(e.getMessage().contains("only on the CUDA EP with our own stream"), e.getMessage());
            IllegalStateException safe = assertThrows(IllegalStateException.class,
                    () -> cpu.queueRunsWithoutWaitingWhereSafe(() -> { }));
            assertEquals(e.getMessage(), safe.getMessage());
            assertFalse(cpu.queuesRunsWithoutWaiting());
        }
    }

    @Test
    void aSessionCopiesThroughTheHostWhenOrtSaysItAddedMemcpyNodes() {
        // The warning ONNX Runtime 1.24's CUDA EP logged on the H100 for the real-shape graphs' first segment
        assertTrue(OrtRuntime.copiesThroughTheHost(java.util.List.of("3 Memcpy nodes are added to the graph"
                + " main_graph_segment0 for CUDAExecutionProvider. It might have negative impact on performance"
                + " (including unable to run CUDA graph).")));
        assertTrue(!OrtRuntime.copiesThroughTheHost(java.util.List.of("Some nodes were not assigned to the preferred"
                + " execution providers which may or may not have an negative impact on performance.")));
        // On the CPU EP nothing crosses: a CPU runtime's sessions never say so, and never wait less for it
        try (OrtRuntime cpu = OrtRuntime.cpu(1)) {
            OnnxModel model = PartitionedModelTest.twoBlocks();
            try (OrtSessionRunner session = cpu.open(model.proto(), "two blocks")) {
                assertTrue(!session.copiesThroughTheHost() && !session.queuesRunsOnly());
            }
        }
    }

    @Test
    void theLogKeepsOnlyTheInformationalMessagesThatSayWhyASessionCopiesThroughTheHost() {
        OrtLog log = new OrtLog();
        long mark = log.mark();
        log(log, 2, "3 Memcpy nodes are added to the graph main_graph_segment7 for CUDAExecutionProvider.");
        // The forms ONNX Runtime logs at INFO while it places nodes and adds copies (GetCapability, AddCopyNode)
        log(log, 1, "CUDA kernel not found in registries for Op type: Resize node name: node_upsample_nearest2d");
        log(log, 1, "Add MemcpyToHost before node_upsample_nearest2d for CPUExecutionProvider");
        for (int i = 0; i < 40; i++) {
            log(log, 1, "GraphTransformer ConstantFolding modified: 0 with status: OK");
        }
        log(log, 0, "Add MemcpyFromHost after node_upsample_nearest2d for CUDAExecutionProvider");
        assertEquals(java.util.List.of(
                "CUDA kernel not found in registries for Op type: Resize node name: node_upsample_nearest2d",
                "Add MemcpyToHost before node_upsample_nearest2d for CPUExecutionProvider",
                "Add MemcpyFromHost after node_upsample_nearest2d for CUDAExecutionProvider"),
                log.hostCopyCausesSince(mark));
        // The informational chatter does not push the warning out of the few kept for failure messages
        assertEquals(java.util.List.of(
                "3 Memcpy nodes are added to the graph main_graph_segment7 for CUDAExecutionProvider."),
                log.since(mark));
        assertTrue(log.hostCopyCausesSince(log.mark()).isEmpty());
    }

    private static void log(OrtLog log, int severity, String text) {
        try (org.bytedeco.javacpp.BytePointer message = new org.bytedeco.javacpp.BytePointer(text)) {
            log.call(null, severity, null, null, null, message);
        }
    }

    @Test
    void aSegmentsHostCopyCausesAreQuotedBriefly() {
        assertEquals("", PartitionedModel.quoted(java.util.List.of()));
        assertEquals(" (ONNX Runtime: a; b)", PartitionedModel.quoted(java.util.List.of("a", "b")));
        assertEquals(" (ONNX Runtime: a; b; c; d; and 2 more)",
                PartitionedModel.quoted(java.util.List.of("a", "b", "c", "d", "e", "f")));
    }

    @Test
    void anUnknownOperatorIsNamedWhenOrtRefusesTheSegment() {
        TinyGraph g = new TinyGraph(1);
        g.input("x", 1, 4, 8);
        g.graph().addNode(g.node("Attention", new String[] {"x", "x", "x"}, "a")
                .addAttribute(TinyGraph.intAttr("q_num_heads", 2)).addAttribute(TinyGraph.intAttr("kv_num_heads", 2)));
        g.graph().addNode(g.node("FrobnicateTensor", new String[] {"a"}, "y").setDomain("com.example"));
        g.output("y", 1, 4, 8);
        ModelProto proto = g.build().toBuilder()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(1)).build();
        OnnxModel model = OnnxModel.of(proto, dir, "frobnicate.onnx");
        try (OrtRuntime runtime = OrtRuntime.cpu(1);
             PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(model),
                     new ReferenceAttention(), runtime)) {
            OrtRuntimeException e = assertThrows(OrtRuntimeException.class, () -> partitioned.run(
                    Map.of("x", PartitionedModelTest.randomInput(1, 1, 4, 8))));
            assertTrue(e.getMessage().contains("segment 0 of frobnicate.onnx"), e.getMessage());
            assertTrue(e.getMessage().contains("FrobnicateTensor"), e.getMessage());
        }
    }

    @Test
    void askingForCudaWithoutItGivesTheCpuAndSaysWhy() {
        // The test build ships ONNX Runtime's CPU natives; on a GPU machine with the -gpu natives this
        // request would succeed instead, so the assertion covers both outcomes honestly.
        try (OrtRuntime runtime = OrtRuntime.cudaOrCpu(0, 1)) {
            if (runtime.provider() == ExecutionProvider.CPU) {
                String reason = runtime.fallbackReason().orElseThrow();
                assertTrue(reason.contains("CUDA execution provider"), reason);
                assertTrue(reason.contains("on the CPU instead"), reason);
                // ORT's own log line names the library it could not open; the reason quotes it.
                assertTrue(reason.contains("cannot open shared object file"), reason);
            } else {
                assertTrue(runtime.fallbackReason().isEmpty());
            }
        }
    }

    @Test
    void aModelWithExternalWeightsRunsLikeTheSameModelWithInlineWeights() throws Exception {
        TinyGraph g = new TinyGraph(21);
        String x = g.input("x", 2, 6, 16);
        String y = g.attentionBlock(x, 16, x, 16, TinyGraph.Layer.self(2, 8));
        g.graph().addNode(g.node("Identity", new String[] {y}, "y"));
        g.output("y", 2, 6, 16);
        ModelProto inline = g.build();
        // Move every weight into one external file, each at a 64-byte aligned offset.
        ModelProto.Builder external = inline.toBuilder();
        var graph = external.getGraphBuilder();
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto t = graph.getInitializer(i);
            if (t.getRawData().isEmpty()) {
                continue;
            }
            while (data.size() % 64 != 0) {
                data.write(0);
            }
            long offset = data.size();
            t.getRawData().writeTo(data);
            graph.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", "weights/all.bin"))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Long.toString(t.getRawData().size()))));
        }
        Files.createDirectories(dir.resolve("weights"));
        Files.write(dir.resolve("weights/all.bin"), data.toByteArray());
        Path file = dir.resolve("model.onnx");
        Files.write(file, external.build().toByteArray());

        Map<String, HostArray> inputs = Map.of("x", PartitionedModelTest.randomInput(3, 2, 6, 16));
        try (OrtRuntime runtime = OrtRuntime.cpu(1);
             WholeModel whole = WholeModel.open(OnnxModel.of(inline, dir, "inline"), runtime);
             WholeModel wholeExternal = WholeModel.open(OnnxModel.load(file), runtime);
             PartitionedModel partitioned = new PartitionedModel(GraphPartitioner.partition(OnnxModel.load(file)),
                     new ReferenceAttention(), runtime)) {
            HostArray expected = whole.run(inputs).outputs().get("y");
            RunResult actual = partitioned.run(inputs);
            assertEquals(1, actual.attentionCalls().size());
            double[] e = expected.toDoubles();
            double[] a = actual.outputs().get("y").toDoubles();
            assertArrayEquals(e, a, 1e-4);
            assertArrayEquals(e, wholeExternal.run(inputs).outputs().get("y").toDoubles(), 0);
        }
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
