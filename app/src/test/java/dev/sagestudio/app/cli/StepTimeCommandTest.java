package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sagestudio.app.bench.CpuAttentionBenchmark;
import dev.sagestudio.app.cli.OnnxCommandsTest.Outcome;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StepTimeCommandTest {
    @TempDir
    Path dir;
    Path model;

    /** Two self-attention blocks at head dim 64, which the quantized emulator runs. */
    @BeforeEach
    void writeModel() throws Exception {
        TinyGraph g = new TinyGraph(3);
        String x = g.input("x", 1, 32, 128);
        String h = g.attentionBlock(x, 128, x, 128, Layer.self(2, 64).fourD());
        h = g.attentionBlock(h, 128, h, 128, Layer.self(2, 64));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 1, 32, 128);
        model = Files.write(dir.resolve("two-blocks.onnx"), g.build().toByteArray());
    }

    @Test
    void timesEachBackendAndComparesItsOutputWithTheFirst() throws Exception {
        Path json = dir.resolve("steps.json");
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends",
                "onnxruntime,cpu-reference,cpu-sage-int8-fp16", "--runs", "3", "--threads", "1", "--json", json.toString());
        assertEquals(0, o.status(), o.err() + o.out());
        assertTrue(o.out().contains("onnxruntime: median"), o.out());
        JsonNode document = new ObjectMapper().readTree(json.toFile());
        assertEquals(CpuAttentionBenchmark.cpuName(), document.get("device").asText(), "what it ran on");
        JsonNode rows = document.get("rows");
        assertEquals(3, rows.size());
        JsonNode whole = rows.get(0);
        assertTrue(whole.get("attentionTokens").isNull(), "ONNX Runtime alone does not say its attention's length");
        assertEquals("onnxruntime", whole.get("backend").asText());
        assertTrue(whole.get("attentionMs").isNull(), "ONNX Runtime alone has no separate attention time");
        assertTrue(whole.get("cosineVsFirst").isNull(), "the first backend is the reference");
        for (int i = 1; i < 3; i++) {
            JsonNode row = rows.get(i);
            assertEquals(2, row.get("attentionCalls").asInt(), row.toString());
            assertEquals(32, row.get("attentionTokens").asInt(), "the longest query sequence: " + row);
            double share = row.get("attentionShare").asDouble();
            assertTrue(share > 0 && share < 1, row.toString());
            assertTrue(row.get("attentionMs").asDouble() <= row.get("stepMs").asDouble(), row.toString());
            assertTrue(row.get("minMs").asDouble() <= row.get("stepMs").asDouble()
                    && row.get("stepMs").asDouble() <= row.get("maxMs").asDouble(), row.toString());
            assertTrue(row.get("peakDeviceBytes").isNull(), "no device memory on the CPU");
        }
        assertTrue(rows.get(1).get("cosineVsFirst").asDouble() > 0.99999, rows.get(1).toString());
        double quantized = rows.get(2).get("cosineVsFirst").asDouble();
        assertTrue(quantized > 0.9 && quantized < 1, rows.get(2).toString());
        assertTrue(o.out().contains("speed-up"), o.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--shrink-arenas", "--arenas=shared", "--arenas=per-session"})
    void arenaOptionsComputeTheSame(String option) throws Exception {
        Path json = dir.resolve("arenas.json");
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends",
                "onnxruntime,cpu-reference", "--runs", "2", option, "--json", json.toString());
        assertEquals(0, o.status(), o.err() + o.out());
        JsonNode document = new ObjectMapper().readTree(json.toFile());
        boolean shared = option.equals("--arenas=shared");
        assertEquals(shared, document.get("sharedArena").asBoolean(), document.toString());
        assertEquals(option.equals("--shrink-arenas"), document.get("shrinkArenas").asBoolean(), document.toString());
        JsonNode rows = document.get("rows");
        assertTrue(rows.get(1).get("cosineVsFirst").asDouble() > 0.99999, rows.toString());
        assertEquals(shared, rows.get(1).get("sharedArenaPeakBytes").asLong() > 0, rows.get(1).toString());
        assertTrue(rows.get(0).get("sharedArenaPeakBytes").isNull(), "ONNX Runtime alone keeps its one arena");
        assertEquals(shared, o.out().contains("shared arena: at most"), o.out());
    }

    @Test
    void onTheCpuTheSegmentsKeepAnArenaEachAsTheAppDoesUnlessToldToShare() throws Exception {
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends",
                "onnxruntime,cpu-reference", "--runs", "1");
        assertEquals(0, o.status(), o.err() + o.out());
        assertTrue(o.out().contains("ONNX Runtime segments: an arena per session"), o.out());
    }

    @Test
    void anUnknownArenaChoiceIsRefusedWithTheChoices() {
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--arenas", "one");
        assertEquals(2, o.status(), o.err() + o.out());
        assertTrue(o.err().contains("--arenas is 'shared' or 'per-session', not 'one'"), o.err());
    }

    @Test
    void ortProfileSaysWhereOnnxRuntimesTimeGoesPerBackend() throws Exception {
        Path profiles = dir.resolve("profiles");
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends",
                "onnxruntime,cpu-reference", "--runs", "2", "--threads", "1", "--ort-profile", profiles.toString());
        assertEquals(0, o.status(), o.err() + o.out());
        // ONNX Runtime alone: one session; the partitioned model: one per segment.
        assertTrue(o.out().contains("onnxruntime: ONNX Runtime profile: 1 session(s)"), o.out());
        assertTrue(o.out().matches("(?s).*cpu-reference: ONNX Runtime profile: [2-9] session\\(s\\).*"), o.out());
        assertTrue(o.out().contains("MatMul"), o.out());
        assertTrue(Files.list(profiles.resolve("onnxruntime")).anyMatch(p -> p.toString().endsWith(".json")));
    }

    @Test
    void pipelinedStepsAreForTheDevicePathOnly() {
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends", "onnxruntime",
                "--pipelined");
        assertEquals(2, o.status(), o.out());
        assertTrue(o.err().contains("--pipelined is for the GPU backends' device path: add --ep cuda"), o.err());
    }

    @Test
    void aRecordedStepIsForQueuedRunsOnly() {
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends", "onnxruntime",
                "--cuda-graph");
        assertEquals(2, o.status(), o.out());
        assertTrue(o.err().contains("--cuda-graph records queued runs: add --pipelined"), o.err());
    }

    @Test
    void aGpuKernelWithoutTheDevicePathIsAUsageError() {
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), model.toString(), "--backends", "flash-fp16");
        assertEquals(2, o.status(), o.out());
        assertTrue(o.err().contains("'flash-fp16' runs on the device path: add --ep cuda"), o.err());
    }

    @Test
    void aBackendThatFailsIsReportedAndTheOthersStillRun() throws Exception {
        Path json = dir.resolve("steps.json");
        // Head dim 64 with 2 heads of a 128-wide layer is fine; the emulator refuses head dim 32.
        TinyGraph g = new TinyGraph(4);
        String x = g.input("x", 1, 8, 64);
        String h = g.attentionBlock(x, 64, x, 64, Layer.self(2, 32).fourD());
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 1, 8, 64);
        Path narrow = Files.write(dir.resolve("narrow.onnx"), g.build().toByteArray());
        Outcome o = OnnxCommandsTest.execute(new StepTimeCommand(), narrow.toString(), "--backends",
                "cpu-sage-int8-fp16,onnxruntime", "--runs", "1", "--json", json.toString());
        assertEquals(1, o.status(), o.err() + o.out());
        assertTrue(o.err().contains("step-time cpu-sage-int8-fp16:"), o.err());
        assertTrue(Files.exists(json), o.err());
        JsonNode rows = new ObjectMapper().readTree(json.toFile()).get("rows");
        assertTrue(rows.get(0).get("error").asText().contains("head"), rows.toString());
        assertNull(rows.get(0).get("stepMs").numberValue());
        assertTrue(rows.get(1).get("stepMs").asDouble() > 0, rows.toString());
    }
}
