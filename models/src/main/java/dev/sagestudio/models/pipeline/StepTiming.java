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
 * @param copies copies between Java memory and the runtime's memory in this step (the runner's {@code Transfers}).
 *               Host loop: the denoiser's inputs in and output out (3 + 1 per run), plus Q/K/V in and O out of each
 *               attention call a host backend runs (4 each). Sample-resident loop (device path): 2 scalar uploads
 *               (timesteps, step coefficients), plus 1 download for a preview
 * @param copiedBytes the bytes those copies moved
 * @param recorded whether the step ran as one launch of a CUDA graph (denoiser, guidance and scheduler step recorded
 *                 together): its time is then not split into ONNX Runtime, attention and scheduler (all three 0)
 */
public record StepTiming(long totalNanos, long ortNanos, long attentionNanos, long schedulerNanos, int denoiserCalls,
                         int attentionCalls, long copies, long copiedBytes, boolean recorded) {

    /** A step run segment by segment (not {@link #recorded}). */
    public StepTiming(long totalNanos, long ortNanos, long attentionNanos, long schedulerNanos, int denoiserCalls,
                      int attentionCalls, long copies, long copiedBytes) {
        this(totalNanos, ortNanos, attentionNanos, schedulerNanos, denoiserCalls, attentionCalls, copies, copiedBytes,
                false);
    }

    /** Time not accounted to ONNX Runtime, attention or the scheduler: tensor conversion and bookkeeping. */
    public long otherNanos() {
        return Math.max(0, totalNanos - ortNanos - attentionNanos - schedulerNanos);
    }
}
