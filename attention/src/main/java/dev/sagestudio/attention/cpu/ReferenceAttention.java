package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.tensor.HostTensor;
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
        int group = shape.groupSize();
        float[] q = HeadMajor.floats(request.q());
        float[] k = HeadMajor.floats(request.k());
        float[] v = HeadMajor.floats(request.v());
        double scale = request.softmaxScale();
        boolean causal = request.causal();
        double[] out = new double[batch * qHeads * qLen * dim];

        IntStream.range(0, batch * qHeads).parallel().forEach(bh -> {
            int b = bh / qHeads;
            int h = bh % qHeads;
            int kvBase = (b * kvHeads + h / group) * kvLen * dim;
            double[] kd = new double[kvLen * dim];
            double[] vd = new double[kvLen * dim];
            for (int i = 0; i < kd.length; i++) {
                kd[i] = k[kvBase + i];
                vd[i] = v[kvBase + i];
            }
            double[] scores = new double[kvLen];
            double[] qRow = new double[dim];
            double[] o = new double[dim];
            for (int i = 0; i < qLen; i++) {
                int qBase = (bh * qLen + i) * dim;
                for (int d = 0; d < dim; d++) {
                    qRow[d] = q[qBase + d];
                }
                int visible = causal ? Math.min(kvLen, i + 1) : kvLen;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    int kOff = j * dim;
                    for (int d = 0; d < dim; d++) {
                        dot += qRow[d] * kd[kOff + d];
                    }
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                java.util.Arrays.fill(o, 0);
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    double p = Math.exp(scores[j] - max);
                    sum += p;
                    int vOff = j * dim;
                    for (int d = 0; d < dim; d++) {
                        o[d] += p * vd[vOff + d];
                    }
                }
                for (int d = 0; d < dim; d++) {
                    out[qBase + d] = o[d] / sum;
                }
            }
        });
        return HeadMajor.toLayout(out, shape.layout(), batch, qHeads, qLen, dim);
    }
}
