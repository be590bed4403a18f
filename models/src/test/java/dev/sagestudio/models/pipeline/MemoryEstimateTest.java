package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model that surely cannot fit is refused with the figures before any session opens. */
class MemoryEstimateTest {

    @TempDir
    Path dir;

    @Test
    void theLowerBoundCountsTheGraphsTwiceAndTheSamples() throws Exception {
        Path folder = TinyBundle.image(dir.resolve("tiny"), false);
        ModelBundle bundle = ModelBundle.load(folder);
        long graphs = Files.size(folder.resolve("text_encoder.onnx")) + Files.size(folder.resolve("denoiser.onnx"));
        // sample [3, 8, 8] in float32: sample, output and the two guided halves (6 copies), plus the 3x8x8 picture
        assertEquals(2 * graphs + 4L * (6 * 192 + 192), MemoryEstimate.lowerBound(bundle));
    }

    @Test
    void moreThanIsAvailableIsRefusedNamingBothFigures() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> MemoryEstimate.requireFits(20L << 30, OptionalLong.of(8L << 30), "big"));
        assertEquals("model big needs at least 20480 MiB of memory (its graphs twice and the samples), but only 8192"
                + " MiB are available; close other programs or use a smaller model", e.getMessage());
        assertDoesNotThrow(() -> MemoryEstimate.requireFits(1L << 30, OptionalLong.of(8L << 30), "small"));
        assertDoesNotThrow(() -> MemoryEstimate.requireFits(1L << 40, OptionalLong.empty(), "unknown"),
                "nothing to compare with: not refused");
    }

    @Test
    void thisMachineReportsItsAvailableMemoryOnLinux() {
        if (Files.isReadable(Path.of("/proc/meminfo"))) {
            assertTrue(MemoryEstimate.availableBytes().orElseThrow() > 0);
        }
    }
}
