package dev.sagestudio.app.cli;

import static dev.sagestudio.app.cli.PipelineCommandsTest.sagestudio;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.compare.CompareJson;
import dev.sagestudio.app.compare.CompareNumbers;
import dev.sagestudio.models.pipeline.TinyBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compare --report, sweep and bench --json end to end on tiny bundles. */
class CompareReportCommandsTest {

    @TempDir
    static Path dir;
    static Path image;
    static Path video;

    @BeforeAll
    static void writeBundles() {
        image = TinyBundle.image(dir.resolve("tiny"), false);
        video = TinyBundle.video(dir.resolve("tiny-video"));
    }

    @Test
    void compareWritesASelfContainedReportAndItsNumbersAsJson() throws Exception {
        Path html = dir.resolve("out/report.html");
        var o = sagestudio("compare", "a blue ghost", "--model", image.toString(), "--seed", "3", "--steps", "3",
                "--threads", "1", "-o", dir.resolve("ab.png").toString(), "--report", html.toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("wrote " + html + " and " + dir.resolve("out/report.json")), o.out());
        String text = Files.readString(html);
        assertFalse(text.contains("http:") || text.contains("https:"), "self-contained");
        CompareNumbers n = CompareJson.read(Files.readString(dir.resolve("out/report.json")));
        assertEquals(3, n.setup().steps());
        assertEquals("cpu-sage-int8-fp16", n.b().ran());
        assertFalse(n.layers().isEmpty(), "per-layer errors captured");
        // the printed table and the report agree on the PSNR
        assertTrue(o.out().contains("PSNR " + String.format(java.util.Locale.ROOT, "%.2f", n.quality().psnr())),
                o.out());
    }

    @Test
    void aVideoCompareReportHasOnePsnrPerFrame() throws Exception {
        Path html = dir.resolve("video.html");
        var o = sagestudio("compare", "a rocket", "--model", video.toString(), "--seed", "2", "--steps", "2",
                "--threads", "1", "-o", dir.resolve("ab.gif").toString(), "--report", html.toString());
        assertEquals(0, o.status(), o.err());
        CompareNumbers n = CompareJson.read(Files.readString(dir.resolve("video.json")));
        assertTrue(n.frames().size() > 1, "frames: " + n.frames().size());
        assertEquals(n.setup().frames(), n.frames().size());
        assertTrue(Files.readString(html).contains("PSNR per frame"));
    }

    @Test
    void sweepPrintsEveryCellAndWritesTheGrid() throws Exception {
        Path png = dir.resolve("sweep.png");
        var o = sagestudio("sweep", "a cat", "--model", image.toString(), "--steps", "2", "--threads", "1",
                "--backends", "cpu-reference,cpu-sage-int8-fp16", "--seeds", "1,2", "-o", png.toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("seed 1") && o.out().contains("seed 2"), o.out());
        assertTrue(o.out().contains("PSNR inf dB"), "first column against itself: " + o.out());
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 2 * 160);
        var both = sagestudio("sweep", "a cat", "--model", image.toString(), "--seeds", "1", "--step-counts", "2");
        assertEquals(2, both.status(), "seeds and step counts are exclusive: " + both.err());
    }

    @Test
    void benchSavesItsStepTimesAsJsonThatReloads() throws Exception {
        Path json = dir.resolve("bench.json");
        var o = sagestudio("bench", "--model", image.toString(), "--threads", "1", "--runs", "1", "--warmup", "0",
                "--json", json.toString());
        assertEquals(0, o.status(), o.err());
        BenchmarkResults r = BenchmarkResults.load(json);
        assertEquals(2, r.steps().size());
        assertEquals("cpu-reference", r.steps().get(0).backend());
        assertTrue(r.steps().get(0).totalMs() > 0);
        assertTrue(r.device().startsWith("CPU: "), r.device());
    }
}
