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
        int d = 0;
        for (; d + 4 <= dim; d += 4) {
            double q0 = q[d];
            double q1 = q[d + 1];
            double q2 = q[d + 2];
            double q3 = q[d + 3];
            double[] k0 = k[d];
            double[] k1 = k[d + 1];
            double[] k2 = k[d + 2];
            double[] k3 = k[d + 3];
            for (int j = 0; j < visible; j++) {
                scores[j] = (((scores[j] + q0 * k0[j]) + q1 * k1[j]) + q2 * k2[j]) + q3 * k3[j];
            }
        }
        for (; d < dim; d++) {
            double qd = q[d];
            double[] kd = k[d];
            for (int j = 0; j < visible; j++) {
                scores[j] += qd * kd[j];
            }
        }
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
        int j = 0;
        for (; j + 4 <= visible; j += 4) {
            double p0 = scores[j];
            double p1 = scores[j + 1];
            double p2 = scores[j + 2];
            double p3 = scores[j + 3];
            double[] v0 = v[j];
            double[] v1 = v[j + 1];
            double[] v2 = v[j + 2];
            double[] v3 = v[j + 3];
            for (int c = 0; c < dim; c++) {
                o[c] = (((o[c] + p0 * v0[c]) + p1 * v1[c]) + p2 * v2[c]) + p3 * v3[c];
            }
        }
        for (; j < visible; j++) {
            double p = scores[j];
            double[] vj = v[j];
            for (int c = 0; c < dim; c++) {
                o[c] += p * vj[c];
            }
        }
        for (int c = 0; c < dim; c++) {
            o[c] /= sum;
        }
    }
}
