package dev.sagestudio.models.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * A latent decoded in overlapping spatial tiles, every frame of a clip in each tile, and blended back into one
 * picture. Along each axis tiles of {@code tile} latent pixels are spread evenly so that neighbours overlap by at least
 * {@code overlap}; an axis no longer than a tile is one tile of its own size. Across each overlap the tiles are
 * blended linearly in pixel space, as diffusers' {@code tiled_decode} does, but over the middle half of the overlap
 * only (see {@link #ramp}): every pixel is the weighted mean of the tiles covering it. A pixel is thus taken from tiles
 * that hold it at least a quarter of the overlap inside, so a decoder whose receptive field reaches no farther than
 * that (a convolutional one, with enough overlap) gives exactly what a full decode gives, seams included; a pixel only
 * one tile covers is that tile's output unchanged.
 */
final class LatentTiles {

    /** Decodes a region of the latent, [C, F, th, tw], to its pixels [3, F_out, th × scale, tw × scale]. */
    interface RegionDecoder {
        float[] decode(float[] latent, int tileHeight, int tileWidth);
    }

    /** One tile along one axis, in latent pixels. */
    record Span(int start, int length) {
        int end() {
            return start + length;
        }
    }

    private final int tile;
    private final int overlap;

    LatentTiles(int tile, int overlap) {
        if (tile < 1 || overlap < 0 || overlap >= tile) {
            throw new IllegalArgumentException("tile " + tile + " with overlap " + overlap
                    + ": the overlap must be at least 0 and less than the tile");
        }
        this.tile = tile;
        this.overlap = overlap;
    }

    int tile() {
        return tile;
    }

    int overlap() {
        return overlap;
    }

    /** The tiles along an axis of {@code size} latent pixels, first to last. */
    List<Span> spans(int size) {
        if (size <= tile) {
            return List.of(new Span(0, size));
        }
        // as few tiles as keep neighbours overlapping by at least `overlap`, spread evenly from edge to edge
        int count = ceilDiv(size - overlap, tile - overlap);
        List<Span> spans = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            spans.add(new Span((int) Math.round((double) i * (size - tile) / (count - 1)), tile));
        }
        return spans;
    }

    /** How many tiles a latent of {@code height} × {@code width} takes. */
    int count(int height, int width) {
        return spans(height).size() * spans(width).size();
    }

    /**
     * Decodes {@code latent} [C, F, h, w] tile by tile with {@code decoder} and blends the tiles into [3, outFrames,
     * h × scale, w × scale].
     */
    float[] decode(float[] latent, int channels, int frames, int h, int w, int scale, int outFrames,
                   RegionDecoder decoder) {
        int height = h * scale;
        int width = w * scale;
        int plane = height * width;
        float[] sum = new float[3 * outFrames * plane];
        float[] weightSum = new float[plane];
        List<Span> rows = spans(h);
        List<Span> cols = spans(w);
        for (Span row : rows) {
            float[] rowWeights = ramp(row, h, scale);
            for (Span col : cols) {
                float[] colWeights = ramp(col, w, scale);
                float[] pixels = decoder.decode(crop(latent, channels, frames, h, w, row, col), row.length(),
                        col.length());
                int th = row.length() * scale;
                int tw = col.length() * scale;
                if (pixels.length != 3 * outFrames * th * tw) {
                    throw new IllegalStateException("the decoder gave " + pixels.length + " values for a tile of "
                            + row.length() + "×" + col.length() + " latent pixels; expected 3 × " + outFrames + " × "
                            + th + " × " + tw);
                }
                int y0 = row.start() * scale;
                int x0 = col.start() * scale;
                for (int y = 0; y < th; y++) {
                    for (int x = 0; x < tw; x++) {
                        // every pixel gets a weight: one tile holds it at least a quarter of the overlap inside
                        weightSum[(y0 + y) * width + x0 + x] += rowWeights[y] * colWeights[x];
                    }
                }
                for (int cf = 0; cf < 3 * outFrames; cf++) {
                    for (int y = 0; y < th; y++) {
                        float wy = rowWeights[y];
                        int from = (cf * th + y) * tw;
                        int to = cf * plane + (y0 + y) * width + x0;
                        for (int x = 0; x < tw; x++) {
                            sum[to + x] += wy * colWeights[x] * pixels[from + x];
                        }
                    }
                }
            }
        }
        for (int cf = 0; cf < 3 * outFrames; cf++) {
            for (int p = 0; p < plane; p++) {
                sum[cf * plane + p] /= weightSum[p];
            }
        }
        return sum;
    }

    /**
     * The weights of a tile's pixels along one axis. At an edge where the tile was cut out of the latent (not the
     * picture's own border) its outermost pixels were computed from the decoder's zero padding instead of their
     * neighbours, so the first quarter of the overlap from that edge gets weight 0, the middle half rises linearly to
     * 1, and the rest of the tile has 1. A neighbour overlapping by exactly the overlap falls over the same middle half,
     * so there one fades out as the other fades in; each pixel is left to the tile that holds it farther inside.
     */
    private float[] ramp(Span span, int size, int scale) {
        int length = span.length() * scale;
        int overlapPixels = overlap * scale;
        int margin = overlapPixels / 4;
        double rise = overlapPixels - 2.0 * margin;
        float[] weights = new float[length];
        for (int i = 0; i < length; i++) {
            double weight = 1;
            if (span.start() > 0 && rise > 0) {
                weight = Math.min(weight, (i - margin + 0.5) / rise);
            }
            if (span.end() < size && rise > 0) {
                weight = Math.min(weight, (length - i - margin - 0.5) / rise);
            }
            weights[i] = (float) Math.max(0, weight);
        }
        return weights;
    }

    /** The latent values of one tile, [C, F, rows, cols]. */
    private static float[] crop(float[] latent, int channels, int frames, int h, int w, Span row, Span col) {
        float[] out = new float[channels * frames * row.length() * col.length()];
        int i = 0;
        for (int cf = 0; cf < channels * frames; cf++) {
            for (int y = row.start(); y < row.end(); y++) {
                System.arraycopy(latent, (cf * h + y) * w + col.start(), out, i, col.length());
                i += col.length();
            }
        }
        return out;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
