package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.cpu.AttentionInputs;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;

/** The project's seeded input distributions, shaped for the GPU tests. */
final class GpuTestInputs {
    private GpuTestInputs() {}

    static AttentionRequest request(long seed, InputDistribution distribution, DType dtype, Layout layout,
                                    int batch, int qHeads, int kvHeads, int qLen, int kvLen, int headDim,
                                    boolean causal) {
        return AttentionInputs.generate(distribution, batch, qHeads, kvHeads, qLen, kvLen, headDim, dtype, layout,
                seed).request(causal);
    }

    /** Elements that are NaN or infinite (a poisoned element the kernel never wrote stays NaN). */
    static long nonFinite(float[] values) {
        long count = 0;
        for (float value : values) {
            if (!Float.isFinite(value)) {
                count++;
            }
        }
        return count;
    }
}
