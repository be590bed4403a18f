package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.bundle.ModelSpec.Dim;
import dev.sagestudio.models.bundle.ModelSpec.TensorDType;
import dev.sagestudio.models.bundle.ModelSpec.TensorSpec;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import dev.sagestudio.models.runtime.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiled VAE decode through ONNX Runtime on the CPU with {@link TinyDecoders}' convolution-only decoders (receptive
 * field 1.75 latent pixels each side), against a full decode of the same latents (37×29 latent pixels, tiles of 16):
 * tiles overlapping by 8 latent pixels give the full decode to float rounding everywhere, seams included (the blend
 * takes no pixel from within 2 latent pixels of a tile's cut edge); overlapping by 4 they give PSNR ≥ 40 dB (measured
 * 44.4 dB for the image, 42.9 dB for the clip) and the full decode exactly wherever one tile alone covers a pixel.
 * When the decode is tiled (budget, out of memory) and why, and what a decoder that cannot be tiled does.
 */
class TiledVaeDecodeTest {
    /** ONNX Runtime's arena message when it cannot grow (seen on the H100 at 81 frames). */
    static final String ORT_OUT_OF_MEMORY = "ONNX Runtime failed running the whole graph of vae_decoder.onnx:"
            + " Non-zero status code returned while running Conv node. Name:'conv_1' Status Message: /onnxruntime/core/"
            + "framework/bfc_arena.cc:358 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool,"
            + " onnxruntime::Stream*) Failed to allocate memory for requested buffer of size 100638720\n";
    static final int H = 37;
    static final int W = 29;

    @TempDir
    static Path dir;
    static OrtRuntime cpu;
    static GraphComponent image;
    static GraphComponent clip;
    static GraphComponent fixedSize;

    @BeforeAll
    static void open() throws Exception {
        cpu = OrtRuntime.cpu(1);
        image = open("image.onnx", TinyDecoders.image(0, 0));
        clip = open("clip.onnx", TinyDecoders.clip(2, 4));
        fixedSize = open("fixed.onnx", TinyDecoders.image(H, W));
    }

    private static GraphComponent open(String name, dev.sagestudio.models.onnx.proto.Onnx.ModelProto model)
            throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, model.toByteArray());
        return GraphComponent.whole("VAE decoder", file, cpu, "test");
    }

    @AfterAll
    static void close() {
        image.close();
        clip.close();
        fixedSize.close();
        cpu.close();
    }

    @Test
    void tilesOverlappingByEightLatentPixelsGiveTheFullDecodeToFloatRoundingSeamsIncluded() {
        // the blend keeps a quarter of the overlap (2 latent pixels) from each cut edge: beyond the receptive field
        float[] latent = LatentTilesTest.random(3 * H * W, 1);
        float[] full = decoder(image, 1, 1).decode(latent);
        float[] tiled = new LatentTiles(16, 8).decode(latent, 3, 1, H, W, TinyDecoders.SCALE, 1, region(image, 1));
        assertEquals(12, new LatentTiles(16, 8).count(H, W));
        assertClose(full, tiled, 1e-6); // measured: 1.2e-7
    }

    @Test
    void tilesOverlappingByFourLatentPixelsMatchAbove40DbAndExactlyWhereOneTileCovers() {
        // a quarter of this overlap (1 latent pixel) is inside the receptive field: the blend zones differ a little
        float[] latent = LatentTilesTest.random(3 * H * W, 1);
        float[] full = decoder(image, 1, 1).decode(latent);
        LatentTiles tiles = new LatentTiles(16, 4);
        float[] tiled = tiles.decode(latent, 3, 1, H, W, TinyDecoders.SCALE, 1, region(image, 1));
        ImageMetrics metrics = ImageMetrics.compare(full, tiled, 1, H * 4, W * 4, -1, 1);
        assertTrue(metrics.psnr() >= 40, "PSNR " + metrics.psnr() + " dB"); // measured: 44.4 dB, max abs 0.21
        assertTrue(metrics.raw().maxAbsError() > 1e-3, "with less overlap than the receptive field needs, tiles differ");
        assertExactWhereOneTileCovers(full, tiled, tiles, 1);
    }

    @Test
    void aClipDecoderIsTiledOverTheWholeClipAndGivesTheFullDecodeWithEnoughOverlap() {
        float[] latent = LatentTilesTest.random(3 * 2 * H * W, 2);
        List<long[]> shapes = new ArrayList<>();
        SampleDecoder decoder = clipDecoder(recording(clip, shapes));
        float[] full = decoder.decode(latent);
        float[] exact = new LatentTiles(16, 8).decode(latent, 3, 2, H, W, TinyDecoders.SCALE, 5, region(clip, 2));
        assertClose(full, exact, 1e-6);
        LatentTiles tiles = new LatentTiles(16, 4);
        float[] tiled = tiles.decode(latent, 3, 2, H, W, TinyDecoders.SCALE, 5, region(clip, 2));
        double psnr = ImageMetrics.compare(full, tiled, 5, H * 4, W * 4, -1, 1).psnr();
        assertTrue(psnr >= 40, "PSNR " + psnr + " dB"); // measured: 42.9 dB
        assertExactWhereOneTileCovers(full, tiled, tiles, 5);
        // and through the SampleDecoder with a budget below the estimate: every call gets both latent frames
        shapes.clear();
        decoder.options(new DecodeOptions(2L << 20, 16, 4)); // full: 5.2 MiB, a tile: 1.3 MiB
        assertArrayEquals(tiled, decoder.decode(latent));
        assertEquals(tiles.count(H, W), shapes.size());
        shapes.forEach(s -> assertEquals(2, s[2], "latent frames per call"));
        assertTrue(decoder.lastNote().orElseThrow().contains("(each tile the whole clip)"), decoder.lastNote().get());
    }

    @Test
    void aSingleTileAndATileLargerThanTheLatentGiveTheFullDecode() {
        float[] latent = LatentTilesTest.random(3 * H * W, 3);
        float[] full = decoder(image, 1, 1).decode(latent);
        for (int tile : new int[] {H, 64}) {
            LatentTiles tiles = new LatentTiles(tile, 4);
            assertEquals(1, tiles.count(H, W));
            assertArrayEquals(full, tiles.decode(latent, 3, 1, H, W, TinyDecoders.SCALE, 1, region(image, 1)),
                    "tile " + tile);
        }
    }

    @Test
    void aBudgetBelowTheEstimateTilesTheDecodeAndTheNoteSaysWhy() {
        float[] latent = LatentTilesTest.random(3 * H * W, 4);
        SampleDecoder decoder = decoder(image, 1, 1);
        decoder.options(new DecodeOptions(1L << 40, 16, 4));
        float[] full = decoder.decode(latent);
        assertEquals(Optional.empty(), decoder.lastNote(), "a full decode within the budget says nothing");

        decoder.options(new DecodeOptions(512L << 10, 16, 4));
        float[] tiled = decoder.decode(latent);
        String note = decoder.lastNote().orElseThrow();
        assertTrue(note.startsWith("VAE decode tiled: 9 tile(s) of at most 16×16 latent pixels, overlap 4"), note);
        assertTrue(note.contains("because a full decode needs about 1.0 MiB (estimate) and the budget is 0.5 MiB"),
                note);
        assertArrayEquals(new LatentTiles(16, 4).decode(latent, 3, 1, H, W, TinyDecoders.SCALE, 1,
                region(image, 1)), tiled);
        assertTrue(ImageMetrics.compare(full, tiled, 1, H * 4, W * 4, -1, 1).psnr() >= 40);
    }

    @Test
    void aBudgetBelowOneTilesEstimateHalvesTheTileUntilItFits() {
        SampleDecoder decoder = decoder(image, 1, 1);
        // one 16×16 tile: 2 × 4 B × 8 channels × 64 × 64 pixels = 256 KiB; one 8×8 tile: 64 KiB
        decoder.options(new DecodeOptions(100L << 10, 16, 4));
        decoder.decode(LatentTilesTest.random(3 * H * W, 5));
        assertTrue(decoder.lastNote().orElseThrow().contains("of at most 8×8 latent pixels (smaller than the 16 asked"
                + " for, so that one fits), overlap 2"),
                decoder.lastNote().get());
    }

    @Test
    void anOutOfMemoryErrorFromOnnxRuntimeMakesTheDecodeTiled() {
        float[] latent = LatentTilesTest.random(3 * H * W, 6);
        List<long[]> shapes = new ArrayList<>();
        SampleDecoder decoder = decoder(roomFor(16, shapes), image, 1, 1);
        decoder.options(new DecodeOptions(1L << 40, 16, 4));
        float[] out = decoder.decode(latent);
        String note = decoder.lastNote().orElseThrow();
        assertTrue(note.contains("because the full decode ran out of memory (Failed to allocate memory for requested"
                + " buffer of size 100638720)"), note);
        assertEquals(1 + 9, shapes.size(), "the full decode, then 9 tiles");
        assertArrayEquals(new LatentTiles(16, 4).decode(latent, 3, 1, H, W, TinyDecoders.SCALE, 1,
                region(image, 1)), out);
    }

    @Test
    void tilesThatRunOutOfMemoryTooAreHalvedUntilTheyFit() {
        float[] latent = LatentTilesTest.random(3 * H * W, 10);
        SampleDecoder decoder = decoder(roomFor(8, new ArrayList<>()), image, 1, 1);
        decoder.options(new DecodeOptions(1L << 40, 16, 4));
        float[] out = decoder.decode(latent);
        String note = decoder.lastNote().orElseThrow();
        assertTrue(note.startsWith("VAE decode tiled: 30 tile(s) of at most 8×8 latent pixels (smaller than the 16"
                + " asked for, so that one fits), overlap 2"), note);
        assertTrue(note.endsWith("(Failed to allocate memory for requested buffer of size 100638720); tiles of 16"
                + " ran out of memory too"), note);
        assertArrayEquals(new LatentTiles(8, 2).decode(latent, 3, 1, H, W, TinyDecoders.SCALE, 1, region(image, 1)),
                out);
    }

    @Test
    void anErrorThatIsNotOutOfMemoryIsNotRetriedInTiles() {
        SampleDecoder decoder = decoder(inputs -> {
            throw new OrtRuntimeException("ONNX Runtime failed running the whole graph: Invalid rank for input");
        }, image, 1, 1);
        OrtRuntimeException e = assertThrows(OrtRuntimeException.class,
                () -> decoder.decode(LatentTilesTest.random(3 * H * W, 7)));
        assertTrue(e.getMessage().contains("Invalid rank"), e.getMessage());
    }

    @Test
    void aDecoderWhoseGraphFixesTheLatentSizeDecodesWholeAndSaysWhyItCannotTile() {
        float[] latent = LatentTilesTest.random(3 * H * W, 8);
        SampleDecoder decoder = decoder(fixedSize, 1, 1);
        decoder.options(new DecodeOptions(1L << 20, 16, 4));
        float[] out = decoder.decode(latent);
        assertEquals(3 * H * 4 * W * 4, out.length);
        String note = decoder.lastNote().orElseThrow();
        assertTrue(note.contains("the decoder's graph fixes the latent's height and width (37×29), so it cannot"
                + " decode tiles"), note);
        assertTrue(note.endsWith("decoding it whole"), note);

        SampleDecoder failing = decoder(inputs -> {
            throw new OrtRuntimeException(ORT_OUT_OF_MEMORY);
        }, fixedSize, 1, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> failing.decode(latent));
        assertTrue(e.getMessage().startsWith("the VAE decoder ran out of memory decoding the whole image, and the"
                + " decoder's graph fixes"), e.getMessage());
    }

    @Test
    void aVideoOfImageDecoderFramesIsTiledFrameByFrame() {
        int frames = 3;
        float[] latent = LatentTilesTest.random(3 * frames * H * W, 9);
        SampleDecoder decoder = decoder(image, frames, frames);
        float[] full = decoder.decode(latent);
        decoder.options(new DecodeOptions(512L << 10, 16, 4));
        float[] tiled = decoder.decode(latent);
        assertTrue(decoder.lastNote().orElseThrow().startsWith("VAE decode tiled: 9 tile(s)"));
        assertTrue(ImageMetrics.compare(full, tiled, frames, H * 4, W * 4, -1, 1).psnr() >= 40);
        assertExactWhereOneTileCovers(full, tiled, new LatentTiles(16, 4), frames);
    }

    /** Pixels covered by one tile only, at least 2 latent pixels inside it (the receptive field), equal the full. */
    private static void assertExactWhereOneTileCovers(float[] full, float[] tiled, LatentTiles tiles, int frames) {
        boolean[] rows = coveredOnce(tiles.spans(H), H);
        boolean[] cols = coveredOnce(tiles.spans(W), W);
        int height = H * 4;
        int width = W * 4;
        int checked = 0;
        for (int cf = 0; cf < 3 * frames; cf++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    if (rows[y / 4] && cols[x / 4]) {
                        int i = (cf * height + y) * width + x;
                        assertEquals(full[i], tiled[i], 1e-6, "pixel " + y + ", " + x + " of channel/frame " + cf);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > full.length / 4, "only " + checked + " pixels are covered by one tile");
    }

    private static boolean[] coveredOnce(List<LatentTiles.Span> spans, int size) {
        int[] count = new int[size];
        spans.forEach(s -> {
            for (int i = s.start(); i < s.end(); i++) {
                count[i]++;
            }
        });
        boolean[] once = new boolean[size];
        for (int i = 0; i < size; i++) {
            once[i] = count[i] == 1;
        }
        return once;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= tolerance, "max abs difference " + worst);
    }

    /** The graph decoding one region [C, frames, th, tw] as the tiles ask. */
    private static LatentTiles.RegionDecoder region(GraphComponent graph, int latentFrames) {
        return (latent, th, tw) -> {
            long[] shape = latentFrames > 1 ? new long[] {1, 3, latentFrames, th, tw} : new long[] {1, 3, th, tw};
            RunResult run = graph.run(Map.of("latent", GraphComponent.float32(shape, latent)));
            return GraphComponent.floats(run.outputs().values().iterator().next(), "tile");
        };
    }

    /**
     * The image decoder as if ONNX Runtime had room for a latent of at most {@code side} × {@code side} pixels: its
     * out-of-memory error for larger ones. Records each call's latent shape in {@code shapes}.
     */
    private static Function<Map<String, HostArray>, RunResult> roomFor(long side, List<long[]> shapes) {
        return inputs -> {
            long[] shape = inputs.get("latent").shape();
            shapes.add(shape);
            if (shape[2] > side || shape[3] > side) {
                throw new OrtRuntimeException(ORT_OUT_OF_MEMORY);
            }
            return image.run(inputs);
        };
    }

    private static Function<Map<String, HostArray>, RunResult> recording(GraphComponent graph, List<long[]> shapes) {
        return inputs -> {
            shapes.add(inputs.get("latent").shape());
            return graph.run(inputs);
        };
    }

    /** A decoder of H × W latents ({@code frames} of them, one per call) by {@code graph}. */
    private static SampleDecoder decoder(GraphComponent graph, int latentFrames, int frames) {
        return decoder(graph::run, graph, latentFrames, frames);
    }

    /** As above, each call made through {@code call}. */
    private static SampleDecoder decoder(Function<Map<String, HostArray>, RunResult> call, GraphComponent graph,
                                         int latentFrames, int frames) {
        ModelSpec.Component spec = new ModelSpec.Component("vae_decoder.onnx",
                Map.of("latent", new TensorSpec("latent", TensorDType.FLOAT32, List.of(fixed(1), fixed(3),
                        new Dim(0, "h"), new Dim(0, "w")))),
                Map.of("image", new TensorSpec("image", TensorDType.FLOAT32, List.of())), 1.0, 0.0, null);
        return new SampleDecoder(Optional.of(graph), call, spec, 3, latentFrames, frames, H, W, H * 4, W * 4,
                frames > 1);
    }

    private static SampleDecoder clipDecoder(Function<Map<String, HostArray>, RunResult> call) {
        ModelSpec.Component spec = new ModelSpec.Component("vae_decoder.onnx",
                Map.of("latent", new TensorSpec("latent", TensorDType.FLOAT32, List.of(fixed(1), fixed(3), fixed(2),
                        new Dim(0, "h"), new Dim(0, "w")))),
                Map.of("image", new TensorSpec("video", TensorDType.FLOAT32, List.of())), 1.0, 0.0, 4);
        return new SampleDecoder(Optional.of(clip), call, spec, 3, 2, 5, H, W, H * 4, W * 4, true);
    }

    private static Dim fixed(long size) {
        return new Dim(size, null);
    }
}
