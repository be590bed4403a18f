package dev.sagestudio.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading {@code step-time --json} documents as the benchmark view's real-shape tables, from files and from a jar. */
class RealShapeResultsTest {

    /**
     * A document as {@code step-time --json} writes it on a GPU: three backends on a Wan-shaped graph, ONNX Runtime
     * alone out of memory. The numbers are made up for the test.
     */
    static final String WAN_81 = """
            {
              "model" : "/root/cache/bench/graphs/wan-81f-mha.onnx",
              "device" : "NVIDIA H100 80GB HBM3",
              "inputs" : {
                "sample" : "float16 [1, 16, 21, 60, 104]",
                "timestep" : "float16 [1]",
                "encoder_hidden_states" : "float16 [1, 512, 4096]"
              },
              "warmup" : 1, "runs" : 3, "shrinkArenas" : false, "sharedArena" : true,
              "rows" : [ {
                "backend" : "flash-fp16", "provider" : "CUDA", "stepMs" : 2400.0, "minMs" : 2390.0, "maxMs" : 2410.0,
                "ortMs" : 900.0, "attentionMs" : 1500.0, "attentionShare" : 0.625, "attentionCalls" : 60,
                "attentionTokens" : 32760, "fallbacks" : [ ], "nonFinite" : [ ], "peakDeviceBytes" : 34359738368,
                "sharedArenaPeakBytes" : null, "cosineVsFirst" : null, "relL1VsFirst" : null, "error" : null
              }, {
                "backend" : "sage-int8-fp16", "provider" : "CUDA", "stepMs" : 1600.0, "minMs" : 1590.0, "maxMs" : 1610.0,
                "ortMs" : 900.0, "attentionMs" : 700.0, "attentionShare" : 0.4375, "attentionCalls" : 60,
                "attentionTokens" : 32760, "fallbacks" : [ ], "nonFinite" : [ ], "peakDeviceBytes" : 34896609280,
                "sharedArenaPeakBytes" : null, "cosineVsFirst" : 0.9991, "relL1VsFirst" : 0.04, "error" : null
              }, {
                "backend" : "onnxruntime", "provider" : null, "stepMs" : null, "minMs" : null, "maxMs" : null,
                "ortMs" : null, "attentionMs" : null, "attentionShare" : null, "attentionCalls" : null,
                "attentionTokens" : null, "fallbacks" : [ ], "nonFinite" : [ ], "peakDeviceBytes" : null,
                "sharedArenaPeakBytes" : null, "cosineVsFirst" : null, "relL1VsFirst" : null,
                "error" : "OrtRuntimeException: Failed to allocate memory for requested buffer of size 100638720\\n"
              } ]
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aStepTimeDocumentBecomesATableOfItsCardModelTokensAndBackends() throws Exception {
        RealShapeResults.Table t = read(WAN_81, "real-shapes-wan-81f.json");
        assertEquals("NVIDIA H100 80GB HBM3", t.device());
        assertEquals("wan-81f-mha (shared arena)", t.model(), "the graph, and how step-time ran it");
        assertEquals(32760, t.tokens());
        assertEquals("float16 [1, 16, 21, 60, 104]", t.sample());
        assertEquals(3, t.rows().size());
        assertEquals(new RealShapeResults.Row("flash-fp16", 2400.0, 0.625, 34359738368L, null), t.rows().get(0));
        assertEquals(2400.0, t.baseline().orElseThrow().stepMs());
        RealShapeResults.Row failed = t.rows().get(2);
        assertNull(failed.stepMs());
        assertTrue(failed.error().contains("Failed to allocate memory"), failed.error());
    }

    @Test
    void aDocumentWithoutDeviceOrTokensSaysNothingAboutThem() throws Exception {
        // as step-time wrote it before it recorded either
        String older = WAN_81.replace("\"device\" : \"NVIDIA H100 80GB HBM3\",", "")
                .replaceAll("\"attentionTokens\" : (\\d+|null), ", "");
        RealShapeResults.Table t = read(older, "old.json");
        assertNull(t.device());
        assertNull(t.tokens());
        // the results folder's naming, <what>-<date>-<card>.json, names the card instead
        assertEquals("H100", read(older, "real-shapes-wan-81f-2026-12-06-H100.json").device());
        assertEquals("NVIDIA H100 80GB HBM3", read(WAN_81, "real-shapes-2026-12-06-H200.json").device(),
                "the document's own device comes first");
        assertNull(RealShapeResults.cardInName("real-shapes-wan-81f.json"));
    }

    @Test
    void aFileMayHoldSeveralDocumentsInAnArray() throws Exception {
        List<RealShapeResults.Table> tables = RealShapeResults.read(stream("[" + WAN_81.replace("wan-81f", "wan-33f")
                + ", " + WAN_81 + "]"), "real-shapes-wan.json");
        assertEquals(List.of("wan-33f-mha (shared arena)", "wan-81f-mha (shared arena)"), tables.stream().map(RealShapeResults.Table::model)
                .toList());
    }

    /**
     * A collection as models/bench/results holds them: step-time documents under {@code runs}, each with the card it
     * ran on, text fields for all of them, and PyTorch's own step times (numbers made up for the test).
     */
    @Test
    void aCollectionGivesEachRunItsCardAndAddsPyTorchsOwnStepTimes() throws Exception {
        String collection = """
                {"date": "2026-12-06", "weights": "random, fp16", "runs": [
                  %s,
                  %s],
                 "pytorchEager": [{"model": "wan", "frames": 81, "tokens": 32760, "device": "NVIDIA H100 80GB HBM3",
                                   "step_ms": 600.5, "times_ms": [600.5], "peak_gib": 4.0}]}
                """.formatted(WAN_81.replace("\"device\" : \"NVIDIA H100 80GB HBM3\",", "\"card\": \"NVIDIA H200\","
                        + " \"tokens\": 32000,"),
                WAN_81.replace("\"device\" : \"NVIDIA H100 80GB HBM3\",", "").replace("\"sharedArena\" : true",
                        "\"sharedArena\" : false"));
        List<RealShapeResults.Table> tables = RealShapeResults.read(stream(collection),
                "real-shapes-2026-12-06.json");
        assertEquals(3, tables.size());
        RealShapeResults.Table h200 = tables.get(0);
        assertEquals("NVIDIA H200", h200.device());
        assertEquals("wan-81f-mha (shared arena)", h200.model());
        assertEquals(32000, h200.tokens(), "the document's own tokens first");
        assertEquals(List.of("date: 2026-12-06", "weights: random, fp16"), h200.about());
        RealShapeResults.Table unnamed = tables.get(1);
        assertNull(unnamed.device(), "neither the document, the collection nor the file name names the card");
        assertEquals("wan-81f-mha", unnamed.model());
        RealShapeResults.Table eager = tables.get(2);
        assertEquals("NVIDIA H100 80GB HBM3", eager.device());
        assertEquals("wan, 81 frames", eager.model());
        assertEquals(32760, eager.tokens());
        assertEquals(List.of(new RealShapeResults.Row(RealShapeResults.PYTORCH, 600.5, null, 4L << 30, null)),
                eager.rows());
    }

    @Test
    void theResultsThisBuildShipsAreReadableAndNameTheirCards() {
        List<RealShapeResults.Table> shipped = RealShapeResults.shipped();
        assertTrue(!shipped.isEmpty(), "models/bench/results/real-shapes-*.json is packaged into the app");
        for (RealShapeResults.Table t : shipped) {
            assertTrue(t.device() != null, t.model() + " in " + t.source() + " names no card");
            t.rows().forEach(r -> assertTrue(r.stepMs() != null || r.error() != null, t.model() + ": " + r));
        }
    }

    @Test
    void somethingElseIsRefusedWithTheFileNamed() {
        IOException e = assertThrows(IOException.class, () -> read("[{\"gpu\": \"H100\"}]", "records.json"));
        assertTrue(e.getMessage().startsWith("records.json is not a step-time --json document"), e.getMessage());
    }

    @Test
    void theShippedFilesAreReadFromAFolderOrFromInsideTheAppsJarInNameOrder() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("real-shapes"));
        Files.writeString(folder.resolve("real-shapes-wan-81f.json"), WAN_81);
        Files.writeString(folder.resolve("real-shapes-wan-33f.json"), WAN_81.replace("wan-81f", "wan-33f"));
        Files.writeString(folder.resolve("README.txt"), "not a table");
        List<RealShapeResults.Table> fromFolder = RealShapeResults.in(folder.toUri().toURL());
        assertEquals(List.of("wan-33f-mha (shared arena)", "wan-81f-mha (shared arena)"), fromFolder.stream().map(RealShapeResults.Table::model)
                .toList());

        Path jar = dir.resolve("app.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("dev/sagestudio/app/bench/real-shapes/"));
            entry(out, "dev/sagestudio/app/bench/real-shapes/real-shapes-wan-81f.json", WAN_81);
            entry(out, "dev/sagestudio/app/bench/real-shapes/real-shapes-wan-33f.json",
                    WAN_81.replace("wan-81f", "wan-33f"));
        }
        List<RealShapeResults.Table> fromJar = RealShapeResults.in(new java.net.URL("jar:" + jar.toUri()
                + "!/dev/sagestudio/app/bench/real-shapes"));
        assertEquals(fromFolder, fromJar);
        assertEquals(List.of(), RealShapeResults.in(null), "a build without results ships none");
    }

    private static void entry(JarOutputStream out, String name, String text) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }

    static RealShapeResults.Table read(String json, String source) throws IOException {
        List<RealShapeResults.Table> tables = RealShapeResults.read(stream(json), source);
        assertEquals(1, tables.size());
        return tables.get(0);
    }

    private static ByteArrayInputStream stream(String json) {
        return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
    }
}
