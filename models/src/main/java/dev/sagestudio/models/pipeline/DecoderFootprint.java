package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;

/**
 * A rough estimate of the memory one VAE decoder call needs, from the graph and the size it decodes: two float32
 * activations (a convolution's input and output) as wide as the decoder's widest convolution at the size of the
 * pixels of one call, plus, where the graph has attention, one float32 score matrix over the latent pixels of a frame
 * (a VAE's mid-block attends over all of them, and ONNX Runtime's CPU attention holds the scores). An SD VAE's widest
 * layers run at a fraction of the output's size, so this leans high for its convolutions, and a whole-clip decoder
 * is counted with every frame's activations at once, which a causal video VAE decoding chunk by chunk does not hold;
 * tensors the runtime keeps alive at once beyond those two are not counted, so it can also fall short. It decides when a decode is tiled before
 * it starts; an out-of-memory error from ONNX Runtime is the second trigger.
 *
 * @param widestChannels the most output channels of any convolution kernel (rank-4 or rank-5 weights), at least 3
 * @param attention      whether the decoder has attention (the partitioner's attention nodes, matched or not)
 */
record DecoderFootprint(long widestChannels, boolean attention) {

    private static final long FLOAT = 4;

    static DecoderFootprint of(PartitionPlan plan) {
        long widest = 3;
        for (TensorProto weight : plan.model().graph().getInitializerList()) {
            if (weight.getDimsCount() == 4 || weight.getDimsCount() == 5) {
                widest = Math.max(widest, weight.getDims(0));
            }
        }
        return new DecoderFootprint(widest, !plan.attentionNodes().isEmpty() || !plan.unmatched().isEmpty());
    }

    /**
     * Bytes one call needs to decode {@code latentHeight} × {@code latentWidth} latent pixels into {@code frames}
     * frames of {@code height} × {@code width} pixels.
     */
    long bytes(long latentHeight, long latentWidth, long frames, long height, long width) {
        long activations = 2 * FLOAT * widestChannels * frames * height * width;
        long tokens = latentHeight * latentWidth;
        return activations + (attention ? FLOAT * tokens * tokens : 0);
    }
}
