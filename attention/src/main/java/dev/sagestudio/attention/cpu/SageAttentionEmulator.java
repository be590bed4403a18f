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
    private static final double LN2 = 0.6931471805599453;
    private static final int K_BLOCK = Granularity.K_BLOCK;
    private static final int Q_BLOCK = Granularity.Q_BLOCK;

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
            queries[i] = new PreparedQ(quantized.valuesAsInts(), rowScales(quantized));
        });

        float[] out = new float[batch * qHeads * qLen * dim];
        int qBlocks = (qLen + Q_BLOCK - 1) / Q_BLOCK;
        boolean causal = request.causal();
        IntStream.range(0, batch * qHeads * qBlocks).parallel().forEach(task -> {
            int bh = task / qBlocks;
            int block = task % qBlocks;
            int b = bh / qHeads;
            int h = bh % qHeads;
            PreparedKv keys = kv[b * kvHeads + h / group];
            PreparedQ query = queries[bh];
            RowScratch scratch = new RowScratch(dim);
            int end = Math.min(qLen, (block + 1) * Q_BLOCK);
            for (int i = block * Q_BLOCK; i < end; i++) {
                int visible = causal ? Math.min(kvLen, i + 1) : kvLen;
                computeRow(query, i, keys, visible, dim, scratch, out, (bh * qLen + i) * dim);
            }
        });

        HostTensor result = HostTensor.of(shape.dtype(), Layout.HND, batch, qHeads, qLen, dim, out);
        return shape.layout() == Layout.HND ? result : result.toLayout(shape.layout());
    }

    private record PreparedQ(int[] values, float[] rowScales) {}

    /**
     * K as INT8 with one scale per row (expanded from its group), and V as the PV mode wants it:
     * {@code vValues} holds FP16 values, or FP8/INT8 values with {@code vScale} per channel
     * already divided by 448 or 127.
     */
    private record PreparedKv(int[] kValues, float[] kRowScales, float[] vValues, float[] vScale) {}

    private static final class RowScratch {
        final float[] scores = new float[K_BLOCK];
        final float[] probabilities = new float[K_BLOCK];
        final float[] acc;
        final float[] blockAcc;
        final float[] chunkFloat;
        final double[] chunkDouble;

        RowScratch(int dim) {
            acc = new float[dim];
            blockAcc = new float[dim];
            chunkFloat = new float[dim];
            chunkDouble = new double[dim];
        }
    }

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
        return new PreparedKv(quantizedK.valuesAsInts(), rowScales(quantizedK), vValues, vScale);
    }

    private static float[] rowScales(QuantizedInt8 quantized) {
        float[] scales = new float[quantized.rows()];
        for (int n = 0; n < scales.length; n++) {
            scales[n] = quantized.scaleOfRow(n);
        }
        return scales;
    }

    private static float exp2(float x) {
        return (float) Math.exp(x * LN2);
    }

    private void computeRow(PreparedQ query, int i, PreparedKv kv, int visible, int dim, RowScratch scratch,
                            float[] out, int outOffset) {
        int[] qValues = query.values();
        int qOff = i * dim;
        float qScale = query.rowScales()[i];
        int[] kValues = kv.kValues();
        float[] kScales = kv.kRowScales();
        float[] vValues = kv.vValues();
        float[] scores = scratch.scores;
        float[] p = scratch.probabilities;
        float[] acc = scratch.acc;
        Arrays.fill(acc, 0f);
        float m = Float.NEGATIVE_INFINITY;
        float l = 0f;
        PvMode mode = config.pvMode();

        for (int j0 = 0; j0 < visible; j0 += K_BLOCK) {
            int count = Math.min(K_BLOCK, visible - j0);
            float blockMax = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < count; t++) {
                int kOff = (j0 + t) * dim;
                int dot = 0;
                for (int d = 0; d < dim; d++) {
                    dot += qValues[qOff + d] * kValues[kOff + d];
                }
                float s = dot * (qScale * kScales[j0 + t]);
                scores[t] = s;
                blockMax = Math.max(blockMax, s);
            }
            float mNew = Math.max(m, blockMax);
            float alpha = m == Float.NEGATIVE_INFINITY ? 0f : exp2(m - mNew);
            float blockSum = 0f;
            for (int t = 0; t < count; t++) {
                p[t] = exp2(scores[t] - mNew);
                blockSum += p[t];
            }
            l = l * alpha + blockSum;
            for (int d = 0; d < dim; d++) {
                acc[d] *= alpha;
            }
            switch (mode) {
                case FP16 -> accumulateFp16(p, count, vValues, j0, dim, acc);
                case FP16_ACCUM_FP16 -> accumulateFp16InFp16(p, count, vValues, j0, dim, acc, scratch);
                case FP8 -> accumulateFp8(p, count, vValues, j0, dim, acc, scratch);
                case INT8 -> accumulateInt8(p, count, vValues, j0, dim, acc, scratch);
                default -> throw new IllegalStateException("unhandled PV mode " + mode);
            }
            m = mNew;
        }

        float[] vScale = kv.vScale();
        float inverseL = l > 0 ? 1f / l : 0f; // l ≥ 1 whenever a key is visible; guard anyway
        for (int d = 0; d < dim; d++) {
            float o = acc[d] * inverseL;
            out[outOffset + d] = vScale == null ? o : o * vScale[d];
        }
    }

    /** FP16 P times FP16 V, accumulated in FP32 key by key. */
    private static void accumulateFp16(float[] p, int count, float[] v, int j0, int dim, float[] acc) {
        for (int t = 0; t < count; t++) {
            float pr = Fp16.round(p[t]);
            int vOff = (j0 + t) * dim;
            for (int d = 0; d < dim; d++) {
                acc[d] += pr * v[vOff + d];
            }
        }
    }

    /** FP16 accumulation inside the block, rounded every 16 keys (one m16n8k16 MMA), then FP32. */
    private static void accumulateFp16InFp16(float[] p, int count, float[] v, int j0, int dim, float[] acc,
                                             RowScratch scratch) {
        float[] block = scratch.blockAcc;
        float[] chunk = scratch.chunkFloat;
        Arrays.fill(block, 0f);
        for (int c0 = 0; c0 < count; c0 += 16) {
            Arrays.fill(chunk, 0f);
            int c1 = Math.min(count, c0 + 16);
            for (int t = c0; t < c1; t++) {
                float pr = Fp16.round(p[t]);
                int vOff = (j0 + t) * dim;
                for (int d = 0; d < dim; d++) {
                    chunk[d] += pr * v[vOff + d];
                }
            }
            for (int d = 0; d < dim; d++) {
                block[d] = Fp16.round(block[d] + chunk[d]);
            }
        }
        for (int d = 0; d < dim; d++) {
            acc[d] += block[d];
        }
    }

    /**
     * FP8 P (P · 448 rounded to E4M3) times per-channel FP8 V; the block is accumulated in FP22,
     * truncated after every 32 keys (one m16n8k32 MMA), then added to the FP32 accumulator.
     */
    private static void accumulateFp8(float[] p, int count, float[] v, int j0, int dim, float[] acc,
                                      RowScratch scratch) {
        float[] block = scratch.blockAcc;
        double[] chunk = scratch.chunkDouble;
        Arrays.fill(block, 0f);
        for (int c0 = 0; c0 < count; c0 += 32) {
            for (int d = 0; d < dim; d++) {
                chunk[d] = block[d];
            }
            int c1 = Math.min(count, c0 + 32);
            for (int t = c0; t < c1; t++) {
                double p8 = Fp8E4M3.round(p[t] * Fp8E4M3.MAX);
                int vOff = (j0 + t) * dim;
                for (int d = 0; d < dim; d++) {
                    chunk[d] += p8 * v[vOff + d]; // products of E4M3 values are exact, sums nearly so
                }
            }
            for (int d = 0; d < dim; d++) {
                block[d] = Fp22.truncate(chunk[d]);
            }
        }
        for (int d = 0; d < dim; d++) {
            acc[d] += block[d];
        }
    }

    /** INT8 P (round(P · 127)) times per-channel INT8 V, exact within the block, then FP32. */
    private static void accumulateInt8(float[] p, int count, float[] v, int j0, int dim, float[] acc,
                                       RowScratch scratch) {
        float[] block = scratch.blockAcc;
        Arrays.fill(block, 0f);
        for (int t = 0; t < count; t++) {
            float pi = Int8Quantizer.quantize(p[t], 127f);
            int vOff = (j0 + t) * dim;
            for (int d = 0; d < dim; d++) {
                block[d] += pi * v[vOff + d]; // |sum| ≤ 64·127·127 < 2^24: exact in float, like int32
            }
        }
        for (int d = 0; d < dim; d++) {
            acc[d] += block[d];
        }
    }
}
