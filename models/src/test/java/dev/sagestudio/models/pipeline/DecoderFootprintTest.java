package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What decides a tiled decode before and during it: the memory estimate and the out-of-memory errors recognised. */
class DecoderFootprintTest {

    @Test
    void theEstimateIsTwoActivationsOfTheWidestConvolutionAtTheOutputSize() {
        DecoderFootprint conv = DecoderFootprint.of(GraphPartitioner.partition(OnnxModel.of(TinyDecoders.image(0, 0),
                Path.of("."), "tiny decoder")));
        assertEquals(new DecoderFootprint(8, false), conv);
        // 2 × 4 B × 8 channels × (3 frames × 64 × 32 pixels); the latent's size does not matter without attention
        assertEquals(2L * 4 * 8 * 3 * 64 * 32, conv.bytes(16, 8, 3, 64, 32));
    }

    @Test
    void aDecoderWithAttentionAlsoNeedsTheScoresOverAFramesLatentPixels() {
        TinyGraph g = new TinyGraph(5);
        g.input("x", 1, 64, 64);
        String h = g.attentionBlock("x", 64, "x", 64, TinyGraph.Layer.self(1, 64));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 1, 64, 64);
        DecoderFootprint attention = DecoderFootprint.of(GraphPartitioner.partition(g.model("mid-block")));
        assertTrue(attention.attention());
        assertEquals(3, attention.widestChannels(), "no convolution: the output's 3 channels");
        long tokens = 128L * 128;
        assertEquals(2L * 4 * 3 * 1024 * 1024 + 4 * tokens * tokens, attention.bytes(128, 128, 1, 1024, 1024));
    }

    @Test
    void outOfMemoryIsReadFromOnnxRuntimesArenaCudaTheAllocatorAndJava() {
        String arena = "ONNX Runtime failed running segment 49 of wan.onnx: Non-zero status code returned while running"
                + " Transpose node. Status Message: /onnxruntime/core/framework/bfc_arena.cc:358 void*"
                + " onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*) Failed to allocate"
                + " memory for requested buffer of size 100638720\n";
        assertTrue(OutOfMemoryMessages.isOutOfMemory(new OrtRuntimeException(arena)));
        assertEquals("Failed to allocate memory for requested buffer of size 100638720",
                OutOfMemoryMessages.brief(new OrtRuntimeException(arena)));
        assertTrue(OutOfMemoryMessages.isOutOfMemory(new RuntimeException("cuMemAlloc(50331648 bytes) failed:"
                + " CUDA_ERROR_OUT_OF_MEMORY (2): the GPU has too little free memory for this request")));
        assertTrue(OutOfMemoryMessages.isOutOfMemory(new OrtRuntimeException("ONNX Runtime failed: std::bad_alloc")));
        assertTrue(OutOfMemoryMessages.isOutOfMemory(new IllegalStateException("decoding",
                new OutOfMemoryError("Java heap space"))));
        assertFalse(OutOfMemoryMessages.isOutOfMemory(new OrtRuntimeException("Got invalid dimensions for input:"
                + " latent for the following indices index: 3 Got: 29 Expected: 37")));
    }
}
