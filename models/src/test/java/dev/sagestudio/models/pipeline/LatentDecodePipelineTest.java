package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.output.GenerationOutput;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Latent bundles end to end on the CPU: the tiny denoiser samples a 16×16 latent (2 latent frames for the video) and
 * {@link TinyDecoders}' convolutional decoders turn it into 64×64 pixels (5 frames for the video: a schemaVersion-2
 * decoder of whole clips with {@code temporalScale} 4), in one call or, when the decode budget is set low, in tiles
 * (12 latent pixels overlapping by 8, so the blend keeps 2 latent pixels from every cut edge: beyond the decoders'
 * receptive field, hence the same picture) that the run's notes announce; the clip is written as GIF and MP4.
 */
class LatentDecodePipelineTest {

    @TempDir
    static Path dir;
    static OrtRuntime cpu;

    @BeforeAll
    static void open() {
        cpu = OrtRuntime.cpu(1);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void aLatentImageDecodesWholeWithinTheBudgetAndInTilesBelowItWithTheSamePicture() throws Exception {
        ModelBundle bundle = ModelBundle.load(TinyDecoders.imageBundle(dir.resolve("image")));
        GenerationRequest request = GenerationRequest.of("a red heart", 3).withSteps(2);
        try (DiffusionPipeline p = DiffusionPipeline.open(bundle, AttentionResolver.resolve("cpu-reference", false),
                cpu)) {
            GenerationResult whole = p.generate(request);
            assertEquals(3 * 64 * 64, whole.output().length);
            assertFalse(whole.notes().stream().anyMatch(n -> n.startsWith("VAE decode")), whole.notes().toString());

            // estimate of the full decode: 2 × 4 B × 8 channels × 64² pixels = 256 KiB; of a 12×12 tile: 144 KiB
            p.decodeOptions(new DecodeOptions(200L << 10, 12, 8));
            GenerationResult tiled = p.generate(request);
            String note = tiled.notes().stream().filter(n -> n.startsWith("VAE decode tiled")).findFirst()
                    .orElseThrow(() -> new AssertionError("no tiling note in " + tiled.notes()));
            assertTrue(note.startsWith("VAE decode tiled: 4 tile(s) of at most 12×12 latent pixels, overlap 8"), note);
            assertTrue(note.contains("because a full decode needs about"), note);
            assertClose(whole.output(), tiled.output());
        }
    }

    @Test
    void aLatentVideoDecodesTheWholeClipInOneCallAndIsWrittenAsGifAndMp4() throws Exception {
        ModelBundle bundle = ModelBundle.load(TinyDecoders.videoBundle(dir.resolve("video")));
        assertEquals(2, bundle.spec().latentFrames());
        try (DiffusionPipeline p = DiffusionPipeline.open(bundle, AttentionResolver.resolve("cpu-sage", false),
                cpu)) {
            GenerationResult r = p.generate(GenerationRequest.of("a spinning pizza", 5).withSteps(2));
            assertEquals(ModelSpec.Kind.VIDEO, r.kind());
            assertEquals(5, r.frames());
            assertEquals(3 * 5 * 64 * 64, r.output().length);
            List<BufferedImage> frames = GenerationOutput.images(r);
            assertEquals(5, frames.size());
            assertEquals(64, frames.get(0).getWidth());

            Path gif = dir.resolve("clip.gif");
            GenerationOutput.write(r, gif);
            assertEquals(5, gifFrames(gif));
            Path mp4 = dir.resolve("clip.mp4");
            GenerationOutput.write(r, mp4);
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(mp4), 8);
            assertEquals("ftyp", new String(head, 4, 4, java.nio.charset.StandardCharsets.US_ASCII));

            // the same clip in tiles (every tile all 2 latent frames): announced, and close to the whole decode
            p.decodeOptions(new DecodeOptions(1L << 20, 12, 8)); // the whole clip: 1.25 MiB, a tile 720 KiB
            GenerationResult tiled = p.generate(GenerationRequest.of("a spinning pizza", 5).withSteps(2));
            assertTrue(tiled.notes().stream().anyMatch(n -> n.startsWith("VAE decode tiled: 4 tile(s)")
                    && n.contains("(each tile the whole clip)")), tiled.notes().toString());
            assertClose(r.output(), tiled.output());
        }
    }

    private static void assertClose(float[] whole, float[] tiled) {
        assertEquals(whole.length, tiled.length);
        for (int i = 0; i < whole.length; i++) {
            assertEquals(whole[i], tiled[i], 1e-6, "value " + i);
        }
    }

    private static int gifFrames(Path gif) throws Exception {
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            return reader.getNumImages(true);
        }
    }
}
