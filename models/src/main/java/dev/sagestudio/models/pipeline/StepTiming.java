package dev.sagestudio.models.pipeline;

/**
 * Where one denoising step's time went.
 *
 * @param totalNanos wall time of the step
 * @param ortNanos time inside ONNX Runtime sessions
 * @param attentionNanos time inside the attention backend (tensor conversions excluded)
 * @param schedulerNanos time of guidance and the scheduler update
 * @param denoiserCalls graph runs this step made (1 with a batch of 2, 2 when the graph's batch is fixed to 1)
 * @param attentionCalls substituted attention nodes that ran in this step
 * @param copies copies between Java memory and the runtime's memory the denoiser runs made: model inputs in, outputs
 *               out, and Q/K/V in and O out of each attention step (the runner's {@code Transfers}). On this host
 *               path that is 3 + 1 + 4 per attention call per run; the GPU path's goal is 0 inside the loop
 * @param copiedBytes the bytes those copies moved
 */
public record StepTiming(long totalNanos, long ortNanos, long attentionNanos, long schedulerNanos, int denoiserCalls,
                         int attentionCalls, long copies, long copiedBytes) {

    /** Time not accounted to ONNX Runtime, attention or the scheduler: tensor conversion and bookkeeping. */
    public long otherNanos() {
        return Math.max(0, totalNanos - ortNanos - attentionNanos - schedulerNanos);
    }
}
