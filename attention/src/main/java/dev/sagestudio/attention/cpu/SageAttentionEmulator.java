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
 *   <li>For each query row, walk the key blocks of 64 (128 for the Hopper wgmma kernels) in order
 *       (skipping blocks that the causal mask hides entirely): S = float(int32 dot) · float(δQ · δK); online softmax in base 2:
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

    /** Keys per online-softmax step of the mma.sync kernels (and of SageAttention's reference code). */
    public static final int SOFTMAX_BLOCK = K_BLOCK;
    /** Keys per online-softmax step of the Hopper wgmma kernels (two 64-key K scales each). */
    public static final int WGMMA_SOFTMAX_BLOCK = 2 * K_BLOCK;

    private final SageConfig config;
    private final int softmaxBlock;

    public SageAttentionEmulator(SageConfig config) {
        this(config, SOFTMAX_BLOCK);
    }

    /**
     * The emulator with {@code softmaxBlock} keys per online-softmax step ({@link #SOFTMAX_BLOCK} or
     * {@link #WGMMA_SOFTMAX_BLOCK}): P is rounded against the running maximum after each step, and
     * the two-level PV modes sum one step in their block accumulator, so this follows the kernel.
     */
    public SageAttentionEmulator(SageConfig config, int softmaxBlock) {
        this.config = Objects.requireNonNull(config, "config");
        if (softmaxBlock != SOFTMAX_BLOCK && softmaxBlock != WGMMA_SOFTMAX_BLOCK) {
            throw new IllegalArgumentException("softmax block must be " + SOFTMAX_BLOCK + " or " + WGMMA_SOFTMAX_BLOCK
                    + " keys, got " + softmaxBlock);
        }
        this.softmaxBlock = softmaxBlock;
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
        boolean causal = request.causal();
        HeadMajor.forEachRowTile(shape, (b, h, bh, kvHead, first, rows) -> {
            RowTile tile = new RowTile(config.pvMode(), dim, queries[bh], kv[kvHead], kvLen, causal, softmaxBlock);
            for (int i = first; i < first + rows; i++) {
                tile.row(i, out, (int) layout.offset(b, h, i, 0, qHeads, qLen, dim));
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
     * stored per channel ({@code kChannels[d][n]} is channel d of key n), so a query row's scores are
     * sums of whole vectors; V one array per token as the PV mode wants it: FP16 values, or FP8/INT8
     * values with {@code vScale} per channel already divided by 448 or 127.
     */
    private record PreparedKv(float[][] kChannels, float[] kRowScales, float[][] vRows, double[][] vRowsDouble,
                              float[] vScale) {}

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
                    vValues[i] = SoftmaxMath.roundFp16(v[offset + i]);
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
        float[][] vRows = rowsOf(vValues, kvLen, dim);
        // FP8 PV sums in double: V widened once here (exactly), as C2 does not vectorize a conversion.
        double[][] vRowsDouble = config.pvMode() == PvMode.FP8 ? widen(vRows) : null;
        return new PreparedKv(channelsOf(quantizedK.values(), kvLen, dim), rowScales(quantizedK), vRows, vRowsDouble,
                vScale);
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

    private static double[][] widen(float[][] rows) {
        double[][] out = new double[rows.length][];
        for (int n = 0; n < rows.length; n++) {
            out[n] = new double[rows[n].length];
            for (int d = 0; d < rows[n].length; d++) {
                out[n][d] = rows[n][d];
            }
        }
        return out;
    }

    /** Row-major [rows][dim] INT8 values as one float array per channel. */
    private static float[][] channelsOf(byte[] values, int rows, int dim) {
        float[][] out = new float[dim][rows];
        for (int n = 0; n < rows; n++) {
            for (int d = 0; d < dim; d++) {
                out[d][n] = values[n * dim + d];
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
     * The online softmax of consecutive query rows of one (batch, head), one row after the other,
     * each exactly as described in the class comment; the scratch arrays are reused between rows.
     */
    private static final class RowTile {
        private final PvMode mode;
        private final PreparedQ query;
        private final PreparedKv kv;
        private final int kvLen;
        private final boolean causal;
        private final float[] scores;
        private final float[] probabilities;
        private final float[] acc;
        private final float[] blockAcc;
        private final float[] chunkFloat;
        private final double[] chunkDouble;
        private final double[] p8;
        private float rowMax;
        private float rowSum;

        private final int softmaxBlock;

        RowTile(PvMode mode, int dim, PreparedQ query, PreparedKv kv, int kvLen, boolean causal, int softmaxBlock) {
            this.softmaxBlock = softmaxBlock;
            this.probabilities = new float[softmaxBlock];
            this.p8 = new double[softmaxBlock];
            this.mode = mode;
            this.query = query;
            this.kv = kv;
            this.kvLen = kvLen;
            this.causal = causal;
            scores = new float[kvLen];
            acc = new float[dim];
            blockAcc = new float[dim];
            chunkFloat = new float[dim];
            chunkDouble = new double[dim];
        }

        /** Computes query row {@code i} into {@code out} from {@code outOffset}. */
        void row(int i, float[] out, int outOffset) {
            int visible = causal ? Math.min(kvLen, i + 1) : kvLen;
            rowScores(query.rows()[i], kv.kChannels(), visible, scores);
            float qScale = query.rowScales()[i];
            rowMax = Float.NEGATIVE_INFINITY;
            rowSum = 0f;
            Arrays.fill(acc, 0f);
            for (int j0 = 0; j0 < visible; j0 += softmaxBlock) { // blocks the causal mask hides are never reached
                update(qScale, j0, Math.min(softmaxBlock, visible - j0));
            }
            float[] vScale = kv.vScale();
            float inverseL = rowSum > 0 ? 1f / rowSum : 0f; // l ≥ 1 whenever a key is visible; guard anyway
            for (int d = 0; d < acc.length; d++) {
                float o = acc[d] * inverseL;
                out[outOffset + d] = vScale == null ? o : o * vScale[d];
            }
        }

        /**
         * The INT8 dot products of one query row with keys 0 .. count-1, as exact integers held in
         * floats: every product and partial sum is an integer of magnitude at most 128 · 127 · 127 <
         * 2^24, so float arithmetic is exact in any order, like the int32 MMA.
         */
        private static void rowScores(float[] q, float[][] kChannels, int count, float[] scores) {
            Arrays.fill(scores, 0, count, 0f);
            for (int d = 0; d < q.length; d += 4) { // head dims are multiples of 4
                float q0 = q[d];
                float q1 = q[d + 1];
                float q2 = q[d + 2];
                float q3 = q[d + 3];
                float[] k0 = kChannels[d];
                float[] k1 = kChannels[d + 1];
                float[] k2 = kChannels[d + 2];
                float[] k3 = kChannels[d + 3];
                for (int j = 0; j < count; j++) {
                    scores[j] += (q0 * k0[j] + q1 * k1[j]) + (q2 * k2[j] + q3 * k3[j]);
                }
            }
        }

        /** One online-softmax step of the current row over keys j0 .. j0+count-1. */
        private void update(float qScale, int j0, int count) {
            float[] kScales = kv.kRowScales();
            float[] s = scores;
            float[] p = probabilities;
            for (int j = j0; j < j0 + count; j++) {
                s[j] = s[j] * (qScale * kScales[j]);
            }
            float blockMax = max(s, j0, count);
            float m = rowMax;
            float mNew = Math.max(m, blockMax);
            float alpha = m == Float.NEGATIVE_INFINITY ? 0f : SoftmaxMath.exp2(m - mNew);
            float blockSum = 0f;
            for (int t = 0; t < count; t++) {
                p[t] = SoftmaxMath.exp2(s[j0 + t] - mNew);
                blockSum += p[t];
            }
            rowSum = rowSum * alpha + blockSum;
            if (alpha != 1f) { // acc · 1 = acc exactly
                for (int d = 0; d < acc.length; d++) {
                    acc[d] *= alpha;
                }
            }
            float[][] v = kv.vRows();
            switch (mode) {
                case FP16 -> addProducts(p, 0, count, v, j0, acc);
                case FP16_ACCUM_FP16 -> accumulateFp16InFp16(p, count, v, j0, acc, blockAcc, chunkFloat);
                case FP8 -> accumulateFp8(p, count, kv.vRowsDouble(), j0, acc, blockAcc, chunkDouble, p8);
                case INT8 -> accumulateInt8(p, count, v, j0, acc, blockAcc);
                default -> throw new IllegalStateException("unhandled PV mode " + mode);
            }
            rowMax = mNew;
        }
    }

    /**
     * The largest of {@code count} values from {@code from} (NaN if any is NaN; −∞ for none), with two
     * independent running maxima: the maximum of a set is the same in any order, including which of
     * +0 and −0 Math.max returns, and a single chain of maxima was latency-bound.
     */
    private static float max(float[] values, int from, int count) {
        float m0 = Float.NEGATIVE_INFINITY;
        float m1 = Float.NEGATIVE_INFINITY;
        int j = from;
        for (; j + 2 <= from + count; j += 2) {
            m0 = Math.max(m0, values[j]);
            m1 = Math.max(m1, values[j + 1]);
        }
        if (j < from + count) {
            m0 = Math.max(m0, values[j]);
        }
        return Math.max(m0, m1);
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
                block[d] = SoftmaxMath.roundFp16(block[d] + chunk[d]);
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
    private static void accumulateFp8(float[] p, int count, double[][] v, int j0, float[] acc, float[] block,
                                      double[] chunk, double[] p8) {
        Arrays.fill(block, 0f);
        for (int t = 0; t < count; t++) {
            p8[t] = Fp8E4M3.round(p[t] * Fp8E4M3.MAX);
        }
        for (int c0 = 0; c0 < count; c0 += 32) {
            for (int d = 0; d < chunk.length; d++) {
                chunk[d] = block[d];
            }
            int c1 = Math.min(count, c0 + 32);
            int t = c0;
            // Products of E4M3 values are exact, sums nearly so; four keys per pass, same order.
            for (; t + 4 <= c1; t += 4) {
                double a0 = p8[t];
                double a1 = p8[t + 1];
                double a2 = p8[t + 2];
                double a3 = p8[t + 3];
                double[] v0 = v[j0 + t];
                double[] v1 = v[j0 + t + 1];
                double[] v2 = v[j0 + t + 2];
                double[] v3 = v[j0 + t + 3];
                for (int d = 0; d < chunk.length; d++) {
                    chunk[d] = (((chunk[d] + a0 * v0[d]) + a1 * v1[d]) + a2 * v2[d]) + a3 * v3[d];
                }
            }
            for (; t < c1; t++) {
                double a = p8[t];
                double[] vt = v[j0 + t];
                for (int d = 0; d < chunk.length; d++) {
                    chunk[d] += a * vt[d];
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
