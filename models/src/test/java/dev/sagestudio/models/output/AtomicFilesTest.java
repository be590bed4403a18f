package dev.sagestudio.models.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write either completes or leaves the folder as it was. */
class AtomicFilesTest {

    @TempDir
    Path dir;

    private List<Path> folderContent() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aCompletedWriteReplacesTheOldFile() throws Exception {
        Path target = Files.writeString(dir.resolve("out.bin"), "old");
        AtomicFiles.write(target, tmp -> Files.writeString(tmp, "new"));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of(target), folderContent());
    }

    @Test
    void aCrashHalfwayKeepsTheOldFileAndLeavesNoPartialFile() throws Exception {
        Path target = Files.writeString(dir.resolve("out.bin"), "old");
        var crash = assertThrows(IOException.class, () -> AtomicFiles.write(target, tmp -> {
            Files.writeString(tmp, "half of the new cont");
            throw new IOException("disk full (simulated)");
        }));
        assertEquals("cannot write " + target + ": disk full (simulated)", crash.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(target), folderContent());
    }

    @Test
    void aRuntimeFailureAlsoLeavesNothingBehind() throws Exception {
        Path target = dir.resolve("new.bin");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, tmp -> {
            Files.writeString(tmp, "partial");
            throw new IllegalStateException("encoder bug (simulated)");
        }));
        assertFalse(Files.exists(target));
        assertTrue(folderContent().isEmpty());
    }

    @Test
    void aMissingFolderIsReported() {
        var e = assertThrows(IOException.class,
                () -> AtomicFiles.write(dir.resolve("nope/out.bin"), tmp -> Files.writeString(tmp, "x")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
