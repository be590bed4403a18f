package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaGraph}: what a capture records is counted and repeated by every launch, on whatever the recorded buffers
 * then hold; work a graph cannot record is refused with the stream left usable. Many nodes, so that a wrong count
 * of them (JCuda's {@code cuGraphGetNodes} wrote past its array and crashed the JVM) shows.
 */
@Tag("gpu")
class CudaGraphGpuTest {
    private static final int WORDS = 1024;
    private static final int COPIES = 200;

    @Test
    void aCaptureRecordsEveryQueuedCopyAndEachLaunchRepeatsThemOnTheCurrentContents() {
        try (GpuContext gpu = GpuTestSupport.contextOrSkip();
             CudaStream stream = gpu.createStream();
             DeviceBuffer source = gpu.allocate(4L * WORDS);
             DeviceBuffer target = gpu.allocate(4L * WORDS)) {
            source.fill32(7, stream);
            CudaGraph graph = CudaGraph.capture(stream, () -> {
                target.fill32(0, stream);
                for (int i = 0; i < COPIES; i++) {
                    target.copyFrom(source, 0, 4L * WORDS, stream);
                }
            });
            try (graph) {
                assertEquals(COPIES + 1, graph.nodeCount());
                stream.synchronize();
                assertEquals(0, words(target)[0], "capture records the work; it does not run it");

                source.fill32(9, stream);
                graph.launch(stream);
                stream.synchronize();
                assertEquals(WORDS, Arrays.stream(words(target)).filter(w -> w == 9).count());

                source.fill32(11, stream);
                graph.launch(stream);
                stream.synchronize();
                assertEquals(WORDS, Arrays.stream(words(target)).filter(w -> w == 11).count());
            }
        }
    }

    @Test
    void workThatWaitsForTheStreamCannotBeRecordedAndLeavesTheStreamUsable() {
        try (GpuContext gpu = GpuTestSupport.contextOrSkip();
             CudaStream stream = gpu.createStream();
             DeviceBuffer buffer = gpu.allocate(4L * WORDS)) {
            assertThrows(CudaException.class, () -> CudaGraph.capture(stream, () -> {
                buffer.fill32(1, stream);
                stream.synchronize();
            }));
            buffer.fill32(5, stream);
            stream.synchronize();
            assertEquals(WORDS, Arrays.stream(words(buffer)).filter(w -> w == 5).count());
        }
    }

    private static int[] words(DeviceBuffer buffer) {
        float[] raw = new float[(int) (buffer.bytes() / 4)];
        buffer.copyToHost(raw);
        int[] ints = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            ints[i] = Float.floatToRawIntBits(raw[i]);
        }
        return ints;
    }
}
