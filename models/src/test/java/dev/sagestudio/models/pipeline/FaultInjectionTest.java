package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.CudaException;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.nio.file.Path;
import java.util.function.Supplier;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected at the attention seam in the middle of a run, as the GPU backends raise them (a failed kernel
 * launch, the device out of memory): the run fails with the driver's error named, and the same pipeline then
 * generates the same picture as before — nothing half-done is left behind.
 */
class FaultInjectionTest {

    @TempDir
    static Path dir;
    static ModelBundle image;

    @BeforeAll
    static void load() throws Exception {
        image = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
    }

    private static void failsMidRunAndRecovers(Supplier<RuntimeException> fault, String named) throws Exception {
        AttentionChoice sage = AttentionResolver.resolve("cpu-sage-int8-fp16", false);
        GenerationRequest request = GenerationRequest.of("a red heart", 4).withSteps(3);
        float[] expected;
        try (OrtRuntime cpu = OrtRuntime.cpu(1);
             DiffusionPipeline clean = DiffusionPipeline.open(image, sage, cpu)) {
            expected = clean.generate(request).output();
        }
        try (OrtRuntime cpu = OrtRuntime.cpu(1);
             DiffusionPipeline pipeline = DiffusionPipeline.open(image, sage, cpu,
                     new OneCallChanged(sage.backend(), 3, out -> {
                         throw fault.get(); // step 2's second attention node
                     }))) {
            var e = assertThrows(RuntimeException.class, () -> pipeline.generate(request));
            String message = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " / " + e.getCause());
            assertTrue(message.contains(named), message);
            assertArrayEquals(expected, pipeline.generate(request).output(), "the pipeline after the fault");
        }
    }

    @Test
    void aKernelLaunchFailureMidRunIsNamedAndThePipelineStaysUsable() throws Exception {
        failsMidRunAndRecovers(() -> new CudaException("cuLaunchKernel(sage_int8_fp16)",
                CUresult.CUDA_ERROR_LAUNCH_FAILED), "CUDA_ERROR_LAUNCH_FAILED");
    }

    @Test
    void runningOutOfDeviceMemoryMidRunIsNamedAndThePipelineStaysUsable() throws Exception {
        failsMidRunAndRecovers(() -> new CudaException("cuMemAlloc(268435456 bytes)",
                CUresult.CUDA_ERROR_OUT_OF_MEMORY), "CUDA_ERROR_OUT_OF_MEMORY");
    }
}
