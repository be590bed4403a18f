package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The exact reference: softmax(scale · QKᵀ) V computed entirely in double precision from the
 * (already dtype-rounded) inputs, with a two-pass softmax (max, then exp and sum). Supports every
 * shape: any head dim, causal (top-left) or not, q_len ≠ kv_len, grouped-query attention.
 */
public final class ReferenceAttention implements AttentionBackend {
    public static final String NAME = "cpu-reference";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> unsupportedReason(AttentionShape shape) {
        return Optional.empty();
    }

    @Override
    public HostTensor compute(AttentionRequest request) {
        double[] exact = computeExact(request);
        float[] values = new float[exact.length];
        for (int i = 0; i < exact.length; i++) {
            values[i] = (float) exact[i];
        }
        HostTensor q = request.q();
        return HostTensor.of(q.dtype(), q.layout(), q.batch(), q.heads(), q.tokens(), q.headDim(), values);
    }

    /**
     * The exact result in double precision, in Q's layout order (element i corresponds to element i
     * of the tensor {@link #compute} returns, and of any backend's output for this request).
     */
    public double[] computeExact(AttentionRequest request) {
        AttentionShape shape = request.shape();
        int batch = shape.batch();
        int qHeads = shape.qHeads();
        int kvHeads = shape.kvHeads();
        int qLen = shape.qLen();
        int kvLen = shape.kvLen();
        int dim = shape.headDim();
        float[] q = HeadMajor.floats(request.q());
        float[] k = HeadMajor.floats(request.k());
        float[] v = HeadMajor.floats(request.v());
        double scale = request.softmaxScale();
        boolean causal = request.causal();
        Layout layout = shape.layout();
        double[] out = new double[batch * qHeads * qLen * dim];

        KvHead[] kv = new KvHead[batch * kvHeads];
        IntStream.range(0, kv.length).parallel().forEach(i -> kv[i] = KvHead.of(k, v, i * kvLen * dim, kvLen, dim));
        HeadMajor.forEachRowTile(shape, (b, h, bh, kvHead, first, rows) -> {
            KvHead keys = kv[kvHead];
            double[] scores = new double[kvLen];
            double[] qRow = new double[dim];
            double[] o = new double[dim];
            for (int i = first; i < first + rows; i++) {
                int qBase = (bh * qLen + i) * dim;
                for (int d = 0; d < dim; d++) {
                    qRow[d] = q[qBase + d];
                }
                int visible = causal ? Math.min(kvLen, i + 1) : kvLen;
                row(qRow, keys, visible, scale, scores, o);
                int outBase = (int) layout.offset(b, h, i, 0, qHeads, qLen, dim);
                System.arraycopy(o, 0, out, outBase, dim);
            }
        });
        return out;
    }

    /**
     * K and V of one (batch, kv-head) in double: K per channel ({@code channels[d][n]}) and V per token,
     * so that the inner loops below index whole arrays with the bare loop variable, which C2 (Java 17)
     * vectorizes; it does not vectorize an index with a loop-invariant offset.
     */
    private record KvHead(double[][] channels, double[][] rows) {
        static KvHead of(float[] k, float[] v, int offset, int kvLen, int dim) {
            double[][] channels = new double[dim][kvLen];
            double[][] rows = new double[kvLen][dim];
            for (int n = 0; n < kvLen; n++) {
                for (int d = 0; d < dim; d++) {
                    channels[d][n] = k[offset + n * dim + d];
                    rows[n][d] = v[offset + n * dim + d];
                }
            }
            return new KvHead(channels, rows);
        }
    }

    /**
     * acc[x] += w[0]·rows[0][x] + … + w[count-1]·rows[count-1][x] for x < length, the terms added one
     * at a time in row order (four rows per pass, so each acc[x] is loaded once per four rows). Both
     * halves of attention are this: Q·K over channels, P·V over keys.
     */
    private static void addWeightedRows(double[] acc, int length, double[] w, double[][] rows, int count) {
        int r = 0;
        for (; r + 4 <= count; r += 4) {
            double w0 = w[r];
            double w1 = w[r + 1];
            double w2 = w[r + 2];
            double w3 = w[r + 3];
            double[] r0 = rows[r];
            double[] r1 = rows[r + 1];
            double[] r2 = rows[r + 2];
            double[] r3 = rows[r + 3];
            for (int x = 0; x < length; x++) {
                acc[x] = (((acc[x] + w0 * r0[x]) + w1 * r1[x]) + w2 * r2[x]) + w3 * r3[x];
            }
        }
        for (; r < count; r++) {
            double wr = w[r];
            double[] row = rows[r];
            for (int x = 0; x < length; x++) {
                acc[x] += wr * row[x];
            }
        }
    }

    /**
     * One query row: o = softmax(scale · q·Kᵀ) V over keys 0 .. visible-1. Every double operation is
     * the one the straightforward loops do, in the same order: each dot product sums its channels in
     * order 0, 1, 2, …, starting from 0; the probabilities and the output are summed in key order.
     * Only the loop nesting differs: the dot products of all keys advance together, four channels per
     * pass, and the output takes four keys per pass; ((((x + a) + b) + c) + d) is still four additions
     * in order.
     */
    private static void row(double[] q, KvHead kv, int visible, double scale, double[] scores, double[] o) {
        double[][] k = kv.channels();
        int dim = q.length;
        Arrays.fill(scores, 0, visible, 0.0);
        addWeightedRows(scores, visible, q, k, dim);
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            scores[j] *= scale;
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < visible; j++) {
            double p = Math.exp(scores[j] - max);
            scores[j] = p;
            sum += p;
        }
        double[][] v = kv.rows();
        Arrays.fill(o, 0.0);
        addWeightedRows(o, dim, scores, v, visible);
        for (int c = 0; c < dim; c++) {
            o[c] /= sum;
        }
    }
}
