package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.tensor.HostTensor;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Plain softmax(scale·QK^T)V in float64, the oracle for the GPU tests (the project's CPU reference lives
 * on another branch; this one is small enough to check by eye). Top-left causal mask.
 */
final class Float64Attention implements AttentionBackend {
    static final String NAME = "test-float64";

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
        HostTensor q = request.q();
        double[] exact = exact(request);
        float[] values = new float[exact.length];
        for (int i = 0; i < exact.length; i++) {
            values[i] = (float) exact[i];
        }
        return HostTensor.of(q.dtype(), q.layout(), q.batch(), q.heads(), q.tokens(), q.headDim(), values);
    }

    /** The exact output in Q's layout order. */
    static double[] exact(AttentionRequest request) {
        HostTensor q = request.q();
        HostTensor k = request.k();
        HostTensor v = request.v();
        int group = q.heads() / k.heads();
        int nq = q.tokens();
        int nk = k.tokens();
        int d = q.headDim();
        double scale = request.softmaxScale();
        double[] out = new double[q.size()];
        IntStream.range(0, q.batch() * q.heads()).parallel().forEach(bh -> {
            int b = bh / q.heads();
            int h = bh % q.heads();
            int hk = h / group;
            double[] scores = new double[nk];
            for (int i = 0; i < nq; i++) {
                int visible = request.causal() ? Math.min(nk, i + 1) : nk;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += (double) q.get(b, h, i, c) * k.get(b, hk, j, c);
                    }
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int c = 0; c < d; c++) {
                    double acc = 0;
                    for (int j = 0; j < visible; j++) {
                        acc += scores[j] * v.get(b, hk, j, c);
                    }
                    out[q.index(b, h, i, c)] = acc / sum;
                }
            }
        });
        return out;
    }
}
