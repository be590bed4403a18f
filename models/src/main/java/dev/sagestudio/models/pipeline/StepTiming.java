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
 */
public record StepTiming(long totalNanos, long ortNanos, long attentionNanos, long schedulerNanos, int denoiserCalls,
                         int attentionCalls) {

    /** Time not accounted to ONNX Runtime, attention or the scheduler: tensor conversion and bookkeeping. */
    public long otherNanos() {
        return Math.max(0, totalNanos - ortNanos - attentionNanos - schedulerNanos);
    }
}
