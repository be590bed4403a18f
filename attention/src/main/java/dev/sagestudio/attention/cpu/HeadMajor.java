package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.stream.IntStream;

/** The flat head-major ([B, H, N, D]) arrays the CPU backends read their inputs from. */
final class HeadMajor {
    private HeadMajor() {}

    /** The tensor's values in HND order. */
    static float[] floats(HostTensor t) {
        return t.layout() == Layout.HND ? t.toArray() : t.toLayout(Layout.HND).toArray();
    }

    /**
     * Query rows one task computes: small enough that the (batch, head, tile) tasks keep every core
     * busy even for short sequences, large enough to amortize a task's scratch arrays.
     */
    static final int ROW_TILE = 32;

    /** One task's share of the work: query rows {@code first .. first+rows-1} of one (batch, query head). */
    interface RowTileTask {
        /**
         * @param b batch index
         * @param h query head
         * @param qHead flat (batch, query head) index, b · Hq + h
         * @param kvHead flat (batch, kv head) index that query head reads (grouped-query attention)
         * @param first first query row
         * @param rows rows in this tile (ROW_TILE, fewer in the last tile)
         */
        void run(int b, int h, int qHead, int kvHead, int first, int rows);
    }

    /** Runs {@code task} in parallel over every (batch, query head, tile of ROW_TILE query rows). */
    static void forEachRowTile(AttentionShape shape, RowTileTask task) {
        int qHeads = shape.qHeads();
        int qLen = shape.qLen();
        int tiles = (qLen + ROW_TILE - 1) / ROW_TILE;
        IntStream.range(0, shape.batch() * qHeads * tiles).parallel().forEach(t -> {
            int bh = t / tiles;
            int b = bh / qHeads;
            int h = bh % qHeads;
            int first = (t % tiles) * ROW_TILE;
            task.run(b, h, bh, b * shape.kvHeads() + h / shape.groupSize(), first, Math.min(ROW_TILE, qLen - first));
        });
    }
}
