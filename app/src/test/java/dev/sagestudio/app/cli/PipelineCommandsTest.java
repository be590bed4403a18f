package dev.sagestudio.app.cli;

import dev.sagestudio.app.service.BundleLocator;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.output.PngWithParameters;
import dev.sagestudio.models.pipeline.TinyBundle;
import dev.sagestudio.models.pipeline.TinyDecoders;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The generating commands end to end on a tiny bundle written by the test. */
class PipelineCommandsTest {

    @TempDir
    static Path dir;
    static Path bundle;

    @BeforeAll
    static void writeBundle() {
        bundle = TinyBundle.image(dir.resolve("tiny"), false);
    }

    record Outcome(int status, String out, String err) {
    }

    static Outcome sagestudio(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SageStudioCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute(args);
        return new Outcome(status, out.toString(), err.toString());
    }

    @Test
    void generateWritesAPngWithItsParametersAndSaysWhichBackendRan() throws Exception {
        Path png = dir.resolve("out/heart.png");
        Outcome o = sagestudio("generate", "a red heart", "--model", bundle.toString(), "--seed", "7", "--steps", "3",
                "--backend", "cpu-sage-int8-fp16", "--threads", "1", "-o", png.toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("attention backend that ran: cpu-sage-int8-fp16"), o.out());
        assertTrue(o.err().contains("3/3"), "progress bar on stderr: " + o.err());
        assertEquals("7", PngWithParameters.readParameters(png).get("seed"));
        assertEquals(8, ImageIO.read(png.toFile()).getHeight());
    }

    @Test
    void generateWithAGpuBackendFailsWithTheReasonUnlessTheFallbackIsAllowedAndThenSaysFallback() {
        var gpu = dev.sagestudio.attention.gpu.GpuStatus.probe();
        org.junit.jupiter.api.Assumptions.assumeFalse(gpu.available(), "this machine has a usable GPU: " + gpu.message());
        Outcome refused = sagestudio("generate", "a cat", "--model", bundle.toString(), "--backend", "sage-int8-fp16",
                "-o", dir.resolve("x.png").toString());
        assertEquals(2, refused.status());
        assertTrue(refused.err().contains("needs an NVIDIA GPU, and none is usable here")
                && refused.err().contains("--cpu-fallback"), refused.err());
        assertTrue(refused.err().lines().filter(l -> l.startsWith("error: ")).findFirst().orElseThrow().length() < 300,
                "short: " + refused.err());
        Outcome fallback = sagestudio("generate", "a cat", "--model", bundle.toString(), "--backend", "sage-int8-fp16",
                "--cpu-fallback", "--steps", "1", "--threads", "1", "-o", dir.resolve("y.png").toString());
        assertEquals(0, fallback.status(), fallback.err());
        assertTrue(fallback.err().contains("FALLBACK: sage-int8-fp16 ran on the CPU as cpu-sage-int8-fp16"),
                fallback.err());
        assertTrue(fallback.out().contains("FALLBACK"), fallback.out());
    }

    @Test
    void generateDecodesALatentInTilesBelowTheVaeMemoryBudgetAndSaysWhy() throws Exception {
        Path latent = TinyDecoders.imageBundle(dir.resolve("latent"));
        Path png = dir.resolve("tiled.png");
        // the tiny decoder's full decode is estimated at 256 KiB
        Outcome o = sagestudio("generate", "a red heart", "--model", latent.toString(), "--steps", "1", "--threads",
                "1", "--vae-memory", "200K", "--vae-tile", "12", "--vae-overlap", "8", "-o", png.toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("note: VAE decode tiled: 4 tile(s) of at most 12×12 latent pixels, overlap 8"),
                o.err());
        assertEquals(64, javax.imageio.ImageIO.read(png.toFile()).getWidth());
        Outcome whole = sagestudio("generate", "a red heart", "--model", latent.toString(), "--steps", "1",
                "--threads", "1", "--vae-memory", "1G", "-o", dir.resolve("whole.png").toString());
        assertFalse(whole.err().contains("VAE decode"), whole.err());
        Outcome bad = sagestudio("generate", "a red heart", "--model", latent.toString(), "--vae-memory", "lots");
        assertEquals(2, bad.status(), bad.err());
        assertTrue(bad.err().contains("--vae-memory takes a size such as 512M or 6G, got 'lots'"), bad.err());
    }

    @Test
    void generateDefaultsToOnnxRuntimesOwnAttentionAndSaysSo() {
        Outcome o = sagestudio("generate", "a cat", "--model", bundle.toString(), "--steps", "1", "--threads", "1",
                "-o", dir.resolve("default.png").toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("attention backend that ran: onnxruntime"), o.out());
    }

    @Test
    void anOutputNameThatDoesNotFitIsRefusedBeforeGenerating() {
        Outcome o = sagestudio("generate", "a cat", "--model", bundle.toString(), "-o", dir.resolve("a.jpg").toString());
        assertEquals(2, o.status());
        assertTrue(o.err().contains("use .png (image), .gif or .mp4 (video)"), o.err());
        assertTrue(!o.err().contains("denoising"), "refused before the first step: " + o.err());
    }

    @Test
    void aMissingModelIsAClearError() {
        Outcome o = sagestudio("generate", "a cat", "--model", dir.resolve("nothing/here").toString());
        assertEquals(2, o.status());
        assertTrue(o.err().contains("does not exist"), o.err());
        Outcome named = sagestudio("generate", "a cat", "--model", "no-such-bundled-model");
        assertEquals(2, named.status());
        assertTrue(named.err().contains("models/bundled") && named.err().contains("--model"), named.err());
    }

    @Test
    void compareprintsTheMetricsTableAndWritesBothImagesSideBySide() throws Exception {
        Path png = dir.resolve("ab.png");
        Outcome o = sagestudio("compare", "a blue ghost", "--model", bundle.toString(), "--seed", "3", "--steps", "3",
                "--threads", "1", "-o", png.toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("PSNR") && o.out().contains("SSIM") && o.out().contains("cosine"), o.out());
        assertTrue(o.out().contains("cos B-exact"), o.out());
        assertTrue(o.out().contains("ONNX Runtime"), o.out());
        assertEquals(8 + 4 + 8, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void inspectOfABundleListsEachGraphsAttentionNodes() {
        Outcome o = sagestudio("inspect", bundle.toString(), "--threads", "1");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("text_encoder.onnx") && o.out().contains("denoiser.onnx"), o.out());
        assertTrue(o.out().contains("run by: cpu-reference"), o.out());
    }

    @Test
    void runOnnxIsRegistered() {
        Outcome o = sagestudio("run-onnx", "--help");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("run-onnx"), o.out());
    }

    @Test
    void benchTimesAStepAndTheAttentionCallsPerBackend() {
        Outcome step = sagestudio("bench", "--model", bundle.toString(), "--runs", "2", "--threads", "1");
        assertEquals(0, step.status(), step.err());
        assertTrue(step.out().contains("cpu-reference") && step.out().contains("cpu-sage-int8-fp16"), step.out());
        Outcome attention = sagestudio("bench", "--what", "attention", "--model", bundle.toString(), "--runs", "2",
                "--threads", "1");
        assertEquals(0, attention.status(), attention.err());
        // the denoiser's two attention nodes, cond and uncond in one batch of 2
        assertTrue(attention.out().contains("2,1/1,64,64,64") && attention.out().contains("2,1/1,64,8,64"),
                attention.out());
    }

    @Test
    void theDefaultModelIsLookedForUnderModelsBundled() {
        // Either the bundled default exists (then it resolves) or the message says where it looked.
        try {
            Path found = BundleLocator.resolve(null);
            assertTrue(Files.isRegularFile(found.resolve("model.json")), found.toString());
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains(BundleLocator.DEFAULT_IMAGE_MODEL) && e.getMessage().contains("--model"),
                    e.getMessage());
        }
    }
}
