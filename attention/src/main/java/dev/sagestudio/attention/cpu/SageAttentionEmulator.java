package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.quant.ChannelQuantizedV;
import dev.sagestudio.attention.quant.Fp22;
import dev.sagestudio.attention.quant.Fp8E4M3;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.quant.Int8Quantizer;
import dev.sagestudio.attention.quant.KSmoothing;
import dev.sagestudio.attention.quant.QuantizedInt8;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * SageAttention on the CPU, with the GPU kernels' numerics: the same quantization, the same block
 * order and the same points where values are rounded. It is the oracle for the GPU kernels and the
 * tool for studying accuracy on any machine.
 *
 * <p>Steps, per (batch, head):
 * <ol>
 *   <li>Optionally smooth K ({@link KSmoothing}: subtract the per-(batch, kv-head) channel mean).
 *   <li>Q' = float(Q · float(softmaxScale · log2 e)); quantize Q' and K to INT8 with the configured
 *       {@link Granularity} ({@link Int8Quantizer}).
 *   <li>Prepare V for the PV mode: FP16 values, or per-channel scaled FP8 E4M3 / INT8
 *       ({@link ChannelQuantizedV}).
 *   <li>For each query row, walk the key blocks of 64 in order (skipping blocks that the causal
 *       mask hides entirely): S = float(int32 dot) · float(δQ · δK); online softmax in base 2:
 *       m' = max(m, max S), α = 2^(m − m'), P = 2^(S − m') in float, ℓ = ℓ·α + ΣP (float, from the
 *       unrounded P), acc = acc·α + P̃·Ṽ where P̃ is P rounded for the PV mode.
 *   <li>O = acc / ℓ (times the V channel scale and 1/448 or 1/127 for FP8 and INT8 PV), rounded to
 *       Q's dtype.
 * </ol>
 * Causal masking is top-left aligned. Head dims other than 64 and 128 are refused, as by the GPU
 * kernels.
 */
public final class SageAttentionEmulator implements AttentionBackend {
    private static final double LOG2E = 1.4426950408889634;
    private static final int K_BLOCK = Granularity.K_BLOCK;
    /**
     * Query rows one task computes; each key block (K and V) is read once per tile. Small enough that
     * the (batch, head, tile) tasks keep every core busy even for short sequences.
     */
    private static final int ROW_TILE = 32;

    private final SageConfig config;

    public SageAttentionEmulator(SageConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The default variant, {@code cpu-sage-int8-fp16}. */
    public SageAttentionEmulator() {
        this(SageConfig.defaults());
    }

    public SageConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.backendName();
    }

    @Override
    public Optional<String> unsupportedReason(AttentionShape shape) {
        if (shape.headDim() != 64 && shape.headDim() != 128) {
            return Optional.of("head dim " + shape.headDim()
                    + " is not supported; the quantized SageAttention kernels handle head dims 64 and 128 only");
        }
        return Optional.empty();
    }

    @Override
    public HostTensor compute(AttentionRequest request) {
        AttentionShape shape = request.shape();
        requireSupported(shape);
        int batch = shape.batch();
        int qHeads = shape.qHeads();
        int kvHeads = shape.kvHeads();
        int qLen = shape.qLen();
        int kvLen = shape.kvLen();
        int dim = shape.headDim();
        int group = shape.groupSize();

        float[] q = HeadMajor.floats(request.q());
        float[] k = HeadMajor.floats(request.k());
        float[] v = HeadMajor.floats(request.v());
        float qMultiplier = (float) (request.softmaxScale() * LOG2E);

        PreparedKv[] kv = new PreparedKv[batch * kvHeads];
        IntStream.range(0, kv.length).parallel().forEach(i -> kv[i] = prepareKv(k, v, i * kvLen * dim, kvLen, dim, shape));

        PreparedQ[] queries = new PreparedQ[batch * qHeads];
        IntStream.range(0, queries.length).parallel().forEach(i -> {
            int offset = i * qLen * dim;
            float[] scaled = new float[qLen * dim];
            for (int j = 0; j < scaled.length; j++) {
                scaled[j] = q[offset + j] * qMultiplier;
            }
            QuantizedInt8 quantized = Int8Quantizer.quantizeQuery(scaled, 0, qLen, dim, config.granularity());
            queries[i] = new PreparedQ(rowsOf(quantized.values(), qLen, dim), rowScales(quantized));
        });

        Layout layout = shape.layout();
        float[] out = new float[batch * qHeads * qLen * dim];
        int tiles = (qLen + ROW_TILE - 1) / ROW_TILE;
        boolean causal = request.causal();
        IntStream.range(0, batch * qHeads * tiles).parallel().forEach(task -> {
            int bh = task / tiles;
            int b = bh / qHeads;
            int h = bh % qHeads;
            int first = (task % tiles) * ROW_TILE;
            int rows = Math.min(ROW_TILE, qLen - first);
            RowTile tile = new RowTile(config.pvMode(), dim, queries[bh], kv[b * kvHeads + h / group], kvLen, causal);
            tile.run(first, rows);
            for (int r = 0; r < rows; r++) {
                tile.writeRow(r, out, (int) layout.offset(b, h, first + r, 0, qHeads, qLen, dim));
            }
        });
        return HostTensor.of(shape.dtype(), layout, batch, qHeads, qLen, dim, out);
    }

    /*
     * Data layout: every inner loop indexes its arrays with the bare loop variable (one Java array per
     * row or per channel), because C2 in Java 17 does not vectorize a loop whose array index has a
     * loop-invariant offset (acc[a + d]); such a loop runs several times slower.
     */

    /** Q as exact INT8 values held in floats, one array per row, and each row's scale. */
    private record PreparedQ(float[][] rows, float[] rowScales) {}

    /**
     * K as INT8 (exact values held in floats) with one scale per row (expanded from its group),
     * stored per key block of 64 and channel ({@code kBlocks[block · dim + d][t]} is channel d of key
     * block · 64 + t, the tail block zero-padded), so a block's scores are sums of whole vectors; V one
     * array per token as the PV mode wants it: FP16 values, or FP8/INT8 values with {@code vScale}
     * per channel already divided by 448 or 127.
     */
    private record PreparedKv(float[][] kBlocks, float[] kRowScales, float[][] vRows, float[] vScale) {}

    private PreparedKv prepareKv(float[] k, float[] v, int offset, int kvLen, int dim, AttentionShape shape) {
        float[] keys = Arrays.copyOfRange(k, offset, offset + kvLen * dim);
        if (config.smoothK()) {
            float[] mean = KSmoothing.channelMean(keys, 0, kvLen, dim, shape.dtype());
            KSmoothing.subtract(keys, 0, kvLen, dim, mean);
        }
        QuantizedInt8 quantizedK = Int8Quantizer.quantizeKey(keys, 0, kvLen, dim, config.granularity());
        float[] vValues;
        float[] vScale = null;
        switch (config.pvMode()) {
            case FP16, FP16_ACCUM_FP16 -> {
                vValues = new float[kvLen * dim];
                for (int i = 0; i < vValues.length; i++) {
                    vValues[i] = Fp16.round(v[offset + i]);
                }
            }
            case FP8, INT8 -> {
                boolean fp8 = config.pvMode() == PvMode.FP8;
                ChannelQuantizedV quantizedV = fp8
                        ? ChannelQuantizedV.fp8(v, offset, kvLen, dim)
                        : ChannelQuantizedV.int8(v, offset, kvLen, dim);
                vValues = quantizedV.values();
                vScale = quantizedV.scales().clone();
                float pScale = fp8 ? Fp8E4M3.MAX : 127f;
                for (int d = 0; d < dim; d++) {
                    vScale[d] = vScale[d] / pScale;
                }
            }
            default -> throw new IllegalStateException("unhandled PV mode " + config.pvMode());
        }
        return new PreparedKv(keyBlocks(quantizedK.values(), kvLen, dim), rowScales(quantizedK),
                rowsOf(vValues, kvLen, dim), vScale);
    }

    /** Row-major INT8 values as one float array per row. */
    private static float[][] rowsOf(byte[] values, int rows, int dim) {
        float[][] out = new float[rows][dim];
        for (int n = 0; n < rows; n++) {
            for (int d = 0; d < dim; d++) {
                out[n][d] = values[n * dim + d];
            }
        }
        return out;
    }

    /** Row-major floats as one array per row. */
    private static float[][] rowsOf(float[] values, int rows, int dim) {
        float[][] out = new float[rows][];
        for (int n = 0; n < rows; n++) {
            out[n] = Arrays.copyOfRange(values, n * dim, (n + 1) * dim);
        }
        return out;
    }

    /** Row-major [kvLen][dim] INT8 values as per-(block, channel) arrays of 64 keys, zero-padded. */
    private static float[][] keyBlocks(byte[] values, int kvLen, int dim) {
        int blocks = (kvLen + K_BLOCK - 1) / K_BLOCK;
        float[][] out = new float[blocks * dim][K_BLOCK];
        for (int n = 0; n < kvLen; n++) {
            int block = n / K_BLOCK;
            for (int d = 0; d < dim; d++) {
                out[block * dim + d][n % K_BLOCK] = values[n * dim + d];
            }
        }
        return out;
    }

    private static float[] rowScales(QuantizedInt8 quantized) {
        float[] scales = new float[quantized.rows()];
        for (int n = 0; n < scales.length; n++) {
            scales[n] = quantized.scaleOfRow(n);
        }
        return scales;
    }

    /**
     * The online softmax of up to {@link #ROW_TILE} consecutive query rows of one (batch, head).
     * Key blocks are the outer loop so that each block of K and V is read once per tile; every row
     * still sees exactly the per-row sequence of operations described in the class comment (rows are
     * independent, so interleaving them changes no result).
     */
    private static final class RowTile {
        private final PvMode mode;
        private final int dim;
        private final PreparedQ query;
        private final PreparedKv kv;
        private final int kvLen;
        private final boolean causal;
        private final float[] scores = new float[K_BLOCK];
        private final float[] probabilities = new float[K_BLOCK];
        private final float[] rowMax = new float[ROW_TILE];
        private final float[] rowSum = new float[ROW_TILE];
        private final float[][] acc;
        private final float[] blockAcc;
        private final float[] chunkFloat;
        private final double[] chunkDouble;

        RowTile(PvMode mode, int dim, PreparedQ query, PreparedKv kv, int kvLen, boolean causal) {
            this.mode = mode;
            this.dim = dim;
            this.query = query;
            this.kv = kv;
            this.kvLen = kvLen;
            this.causal = causal;
            acc = new float[ROW_TILE][dim];
            blockAcc = new float[dim];
            chunkFloat = new float[dim];
            chunkDouble = new double[dim];
        }

        private int visible(int row) {
            return causal ? Math.min(kvLen, row + 1) : kvLen;
        }

        void run(int first, int rows) {
            Arrays.fill(rowMax, Float.NEGATIVE_INFINITY);
            int tileVisible = visible(first + rows - 1);
            for (int j0 = 0; j0 < tileVisible; j0 += K_BLOCK) {
                int kBase = (j0 / K_BLOCK) * dim;
                for (int r = 0; r < rows; r++) {
                    int visible = visible(first + r);
                    if (j0 < visible) { // blocks the causal mask hides entirely are skipped
                        int count = Math.min(K_BLOCK, visible - j0);
                        blockScores(query.rows()[first + r], kv.kBlocks(), kBase, count, scores);
                        update(r, query.rowScales()[first + r], j0, count);
                    }
                }
            }
        }

        /**
         * The INT8 dot products of one query row with {@code count} keys of a block, as exact integers
         * held in floats: every product and partial sum is an integer of magnitude at most
         * 128 · 127 · 127 < 2^24, so float arithmetic is exact in any order, like the int32 MMA.
         */
        private static void blockScores(float[] q, float[][] kBlocks, int kBase, int count, float[] scores) {
            Arrays.fill(scores, 0, count, 0f);
            for (int d = 0; d < q.length; d += 4) { // head dims are multiples of 4
                float q0 = q[d];
                float q1 = q[d + 1];
                float q2 = q[d + 2];
                float q3 = q[d + 3];
                float[] k0 = kBlocks[kBase + d];
                float[] k1 = kBlocks[kBase + d + 1];
                float[] k2 = kBlocks[kBase + d + 2];
                float[] k3 = kBlocks[kBase + d + 3];
                for (int t = 0; t < count; t++) {
                    scores[t] += (q0 * k0[t] + q1 * k1[t]) + (q2 * k2[t] + q3 * k3[t]);
                }
            }
        }

        /** One online-softmax step of tile row {@code r} over keys j0 .. j0+count-1. */
        private void update(int r, float qScale, int j0, int count) {
            float[] kScales = kv.kRowScales();
            float[] s = scores;
            float[] p = probabilities;
            float blockMax = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < count; t++) {
                float score = s[t] * (qScale * kScales[j0 + t]);
                s[t] = score;
                blockMax = Math.max(blockMax, score);
            }
            float m = rowMax[r];
            float mNew = Math.max(m, blockMax);
            float alpha = m == Float.NEGATIVE_INFINITY ? 0f : SoftmaxMath.exp2(m - mNew);
            float blockSum = 0f;
            for (int t = 0; t < count; t++) {
                p[t] = SoftmaxMath.exp2(s[t] - mNew);
                blockSum += p[t];
            }
            rowSum[r] = rowSum[r] * alpha + blockSum;
            float[] rowAcc = acc[r];
            if (alpha != 1f) { // acc · 1 = acc exactly
                for (int d = 0; d < rowAcc.length; d++) {
                    rowAcc[d] *= alpha;
                }
            }
            float[][] v = kv.vRows();
            switch (mode) {
                case FP16 -> addProducts(p, 0, count, v, j0, rowAcc);
                case FP16_ACCUM_FP16 -> accumulateFp16InFp16(p, count, v, j0, rowAcc, blockAcc, chunkFloat);
                case FP8 -> accumulateFp8(p, count, v, j0, rowAcc, blockAcc, chunkDouble);
                case INT8 -> accumulateInt8(p, count, v, j0, rowAcc, blockAcc);
                default -> throw new IllegalStateException("unhandled PV mode " + mode);
            }
            rowMax[r] = mNew;
        }

        /** O = acc / ℓ (times the V channel scale for FP8 and INT8 PV) of tile row {@code r}. */
        void writeRow(int r, float[] out, int outOffset) {
            float[] vScale = kv.vScale();
            float l = rowSum[r];
            float inverseL = l > 0 ? 1f / l : 0f; // l ≥ 1 whenever a key is visible; guard anyway
            float[] rowAcc = acc[r];
            for (int d = 0; d < dim; d++) {
                float o = rowAcc[d] * inverseL;
                out[outOffset + d] = vScale == null ? o : o * vScale[d];
            }
        }
    }

    /**
     * FP16 P times FP16 V accumulated in FP32 key by key: acc[d] += P̃[t] · V[j0 + t][d] for t = from ..
     * to-1 in this order (P̃ = P rounded to FP16). Four keys per pass: ((((acc + p0·v0) + p1·v1) + p2·v2)
     * + p3·v3) is the same sequence of float operations as four separate passes, in a loop body large
     * enough for C2 to vectorize well at head dims of 64 and 128.
     */
    private static void addProducts(float[] p, int from, int to, float[][] v, int j0, float[] acc) {
        int t = from;
        for (; t + 4 <= to; t += 4) {
            float p0 = SoftmaxMath.roundFp16(p[t]);
            float p1 = SoftmaxMath.roundFp16(p[t + 1]);
            float p2 = SoftmaxMath.roundFp16(p[t + 2]);
            float p3 = SoftmaxMath.roundFp16(p[t + 3]);
            float[] v0 = v[j0 + t];
            float[] v1 = v[j0 + t + 1];
            float[] v2 = v[j0 + t + 2];
            float[] v3 = v[j0 + t + 3];
            for (int d = 0; d < acc.length; d++) {
                acc[d] = (((acc[d] + p0 * v0[d]) + p1 * v1[d]) + p2 * v2[d]) + p3 * v3[d];
            }
        }
        for (; t < to; t++) {
            float pr = SoftmaxMath.roundFp16(p[t]);
            float[] vt = v[j0 + t];
            for (int d = 0; d < acc.length; d++) {
                acc[d] += pr * vt[d];
            }
        }
    }

    /** FP16 accumulation inside the block, rounded every 16 keys (one m16n8k16 MMA), then FP32. */
    private static void accumulateFp16InFp16(float[] p, int count, float[][] v, int j0, float[] acc, float[] block,
                                             float[] chunk) {
        Arrays.fill(block, 0f);
        for (int c0 = 0; c0 < count; c0 += 16) {
            Arrays.fill(chunk, 0f);
            addProducts(p, c0, Math.min(count, c0 + 16), v, j0, chunk);
            for (int d = 0; d < block.length; d++) {
                block[d] = Fp16.round(block[d] + chunk[d]);
            }
        }
        for (int d = 0; d < acc.length; d++) {
            acc[d] += block[d];
        }
    }

    /**
     * FP8 P (P · 448 rounded to E4M3) times per-channel FP8 V; the block is accumulated in FP22,
     * truncated after every 32 keys (one m16n8k32 MMA), then added to the FP32 accumulator.
     */
    private static void accumulateFp8(float[] p, int count, float[][] v, int j0, float[] acc, float[] block,
                                      double[] chunk) {
        Arrays.fill(block, 0f);
        for (int c0 = 0; c0 < count; c0 += 32) {
            for (int d = 0; d < chunk.length; d++) {
                chunk[d] = block[d];
            }
            int c1 = Math.min(count, c0 + 32);
            for (int t = c0; t < c1; t++) {
                double p8 = Fp8E4M3.round(p[t] * Fp8E4M3.MAX);
                float[] vt = v[j0 + t];
                for (int d = 0; d < chunk.length; d++) {
                    chunk[d] += p8 * vt[d]; // products of E4M3 values are exact, sums nearly so
                }
            }
            for (int d = 0; d < block.length; d++) {
                block[d] = Fp22.truncate(chunk[d]);
            }
        }
        for (int d = 0; d < acc.length; d++) {
            acc[d] += block[d];
        }
    }

    /** INT8 P (round(P · 127)) times per-channel INT8 V, exact within the block, then FP32. */
    private static void accumulateInt8(float[] p, int count, float[][] v, int j0, float[] acc, float[] block) {
        Arrays.fill(block, 0f);
        for (int t = 0; t < count; t++) {
            float pi = Int8Quantizer.quantize(p[t], 127f);
            float[] vt = v[j0 + t];
            for (int d = 0; d < block.length; d++) {
                block[d] += pi * vt[d]; // |sum| ≤ 64·127·127 < 2^24: exact in float, like int32
            }
        }
        for (int d = 0; d < acc.length; d++) {
            acc[d] += block[d];
        }
    }
}
