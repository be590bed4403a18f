package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The tile layout and the blend of {@link LatentTiles}, with decoders written in Java. */
class LatentTilesTest {

    @Test
    void tilesCoverTheAxisEdgeToEdgeAndNeighboursOverlapByAtLeastTheOverlap() {
        for (int[] tileOverlap : new int[][] {{8, 2}, {16, 4}, {64, 16}, {5, 0}, {7, 6}}) {
            LatentTiles tiles = new LatentTiles(tileOverlap[0], tileOverlap[1]);
            for (int size = 1; size <= 200; size++) {
                List<LatentTiles.Span> spans = tiles.spans(size);
                String where = "tile " + tileOverlap[0] + ", overlap " + tileOverlap[1] + ", axis " + size;
                assertEquals(0, spans.get(0).start(), where);
                assertEquals(size, spans.get(spans.size() - 1).end(), where);
                for (int i = 0; i < spans.size(); i++) {
                    assertEquals(Math.min(size, tileOverlap[0]), spans.get(i).length(), where);
                    if (i > 0) {
                        int overlap = spans.get(i - 1).end() - spans.get(i).start();
                        assertTrue(overlap >= tileOverlap[1], where + ": tiles " + (i - 1) + " and " + i
                                + " overlap by " + overlap);
                    }
                }
            }
        }
    }

    @Test
    void anAxisNoLongerThanATileIsOneTileOfItsOwnSize() {
        LatentTiles tiles = new LatentTiles(64, 16);
        assertEquals(List.of(new LatentTiles.Span(0, 37)), tiles.spans(37));
        assertEquals(List.of(new LatentTiles.Span(0, 64)), tiles.spans(64));
        assertEquals(2, tiles.spans(65).size());
        assertEquals(1, tiles.count(40, 64));
    }

    /**
     * A decoder that maps each latent pixel to a block of pixels on its own (no neighbours) gives every tile's pixel
     * exactly what the full decode gives, so blending changes nothing, seams included.
     */
    @Test
    void aDecoderWithoutNeighboursGivesTheFullDecodeEverywhereOnOddSizes() {
        int channels = 4;
        int frames = 2;
        int h = 13;
        int w = 22;
        int scale = 3;
        float[] latent = random(channels * frames * h * w, 5);
        LatentTiles.RegionDecoder pointwise = (region, th, tw) -> blocks(region, channels, frames, th, tw, scale);
        float[] full = pointwise.decode(latent, h, w);
        float[] tiled = new LatentTiles(5, 2).decode(latent, channels, frames, h, w, scale, frames, pointwise);
        assertEquals(full.length, tiled.length);
        for (int i = 0; i < full.length; i++) {
            assertEquals(full[i], tiled[i], 1e-6, "value " + i);
        }
    }

    @Test
    void aTileDecodedToTheWrongSizeIsRefused() {
        LatentTiles tiles = new LatentTiles(4, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> tiles.decode(new float[3 * 8 * 8],
                3, 1, 8, 8, 2, 1, (region, th, tw) -> new float[3 * th * tw]));
        assertTrue(e.getMessage().contains("expected 3 × 1 × 8 × 8"), e.getMessage());
    }

    @Test
    void anOverlapAsLargeAsTheTileIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LatentTiles(8, 8));
        assertThrows(IllegalArgumentException.class, () -> new DecodeOptions(null, 8, 8));
        assertThrows(IllegalArgumentException.class, () -> new DecodeOptions(0L, 8, 2));
    }

    /** Each latent pixel → a scale×scale block of 3 colours from a fixed mix of its channels. */
    private static float[] blocks(float[] latent, int channels, int frames, int h, int w, int scale) {
        int height = h * scale;
        int width = w * scale;
        float[] out = new float[3 * frames * height * width];
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < frames; f++) {
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        double v = 0;
                        for (int k = 0; k < channels; k++) {
                            v += (k + 1 + c) * 0.1 * latent[((k * frames + f) * h + y / scale) * w + x / scale];
                        }
                        out[((c * frames + f) * height + y) * width + x] = (float) Math.tanh(v);
                    }
                }
            }
        }
        return out;
    }

    static float[] random(int n, long seed) {
        Random random = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
