package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output folder as a history: saving, the index across restarts, its rebuild, delete and export. */
class HistoryServiceTest {
    /** One H.264 macroblock: the smallest frame the MP4 export encodes. */
    private static final int SIZE = 16;

    @TempDir
    Path folder;

    private static GeneratedResult result(String prompt, long seed, boolean video) {
        int frames = video ? 3 : 1;
        List<int[]> pixels = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            int[] frame = new int[SIZE * SIZE];
            Arrays.fill(frame, 0xFF000000 | (40 * f) << 16 | 0x3366);
            pixels.add(frame);
        }
        GenerationSpec spec = new GenerationSpec(Path.of("m"), "onnxruntime", prompt, "", seed, 4, 2.0, "flow_euler",
                0, 0);
        RunReport report = new RunReport(List.of(), "CPU", List.of(), List.of(), 1, 0.1, 4);
        return new GeneratedResult(spec, "m", video, new Frames(SIZE, SIZE, video ? 8 : 0, pixels), report,
                Map.of("prompt", prompt, "seed", Long.toString(seed), "model", "m"));
    }

    @Test
    void resultsAreSavedWithTheirParametersAndListedNewestFirstAfterARestart() throws IOException {
        HistoryService history = new HistoryService(folder);
        history.load();
        HistoryEntry image = history.save(result("a heart", 1, false), Instant.parse("2026-01-01T00:00:00Z"));
        HistoryEntry clip = history.save(result("a rocket", 2, true), Instant.parse("2026-01-01T00:01:00Z"));
        assertTrue(image.file().endsWith(".png") && clip.file().endsWith(".gif"));
        assertEquals("a heart", HistoryService.parametersOf(folder.resolve(image.file())).get("prompt"),
                "the PNG carries its parameters");

        HistoryService.Loaded reopened = new HistoryService(folder).load();
        assertEquals(Optional.empty(), reopened.message());
        assertEquals(List.of("a rocket", "a heart"), reopened.entries().stream().map(HistoryEntry::prompt).toList());
        assertEquals(3, new HistoryService(folder).frames(reopened.entries().get(0)).count(), "all clip frames");
        try (var files = Files.list(folder)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".partial")),
                    "atomic writes leave no temporary files");
        }
    }

    @Test
    void aCorruptIndexIsRebuiltFromTheFilesWithAMessage() throws IOException {
        HistoryService history = new HistoryService(folder);
        history.load();
        history.save(result("a heart", 1, false), Instant.now());
        history.save(result("a rocket", 2, true), Instant.now());
        Files.writeString(folder.resolve(HistoryService.INDEX), "{\"version\":1,\"entries\":[{\"file\":");

        HistoryService.Loaded loaded = new HistoryService(folder).load();

        assertTrue(loaded.message().orElseThrow().contains("rebuilt from the 2 result file(s)"),
                loaded.message().orElseThrow());
        assertEquals(List.of("a heart", "a rocket"), loaded.entries().stream().map(HistoryEntry::prompt).sorted()
                .toList());
        assertEquals(Optional.empty(), new HistoryService(folder).load().message(), "the rebuilt index is written");
    }

    @Test
    void deleteRemovesTheFilesAndTheEntry() throws IOException {
        HistoryService history = new HistoryService(folder);
        history.load();
        HistoryEntry clip = history.save(result("a rocket", 2, true), Instant.now());
        history.delete(clip);
        assertTrue(new HistoryService(folder).load().entries().isEmpty());
        try (var files = Files.list(folder)) {
            assertEquals(List.of(HistoryService.INDEX), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void exportWritesAnotherFormat() throws IOException {
        HistoryService history = new HistoryService(folder);
        history.load();
        HistoryEntry clip = history.save(result("a rocket", 2, true), Instant.now());
        HistoryEntry image = history.save(result("a heart", 1, false), Instant.now());
        Path mp4 = folder.resolve("export/clip.mp4");
        Files.createDirectories(mp4.getParent());
        history.export(clip, mp4);
        byte[] head = Arrays.copyOf(Files.readAllBytes(mp4), 12);
        assertEquals("ftyp", new String(head, 4, 4, java.nio.charset.StandardCharsets.US_ASCII), "an MP4 file");
        Path jpg = folder.resolve("export/heart.jpg");
        history.export(image, jpg);
        assertEquals(SIZE, javax.imageio.ImageIO.read(jpg.toFile()).getWidth());
        assertThrows(IllegalArgumentException.class, () -> history.export(image, folder.resolve("x.webp")));
    }
}
