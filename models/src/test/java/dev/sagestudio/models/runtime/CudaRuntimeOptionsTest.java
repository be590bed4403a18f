package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.OrtCUDAProviderOptions;
import org.bytedeco.onnxruntime.global.onnxruntime;
import org.junit.jupiter.api.Test;

/** What the device path tells ONNX Runtime's CUDA EP, checked without a GPU. */
class CudaRuntimeOptionsTest {

    @Test
    void theCudaEpIsGivenOurDeviceAndOurStream() {
        OrtRuntime.environment();
        try (OrtCUDAProviderOptions options = OrtRuntime.cudaOptions(1, 0x7f00_1234_5600L)) {
            assertEquals(1, options.device_id());
            assertEquals(1, options.has_user_compute_stream(), "ORT must compute on our stream, not one of its own");
            assertEquals(0x7f00_1234_5600L, options.user_compute_stream().address());
        }
    }

    @Test
    void withoutAStreamOnlyTheDeviceIsSet() {
        OrtRuntime.environment();
        try (OrtCUDAProviderOptions options = OrtRuntime.cudaOptions(0, 0)) {
            assertEquals(0, options.device_id());
            assertEquals(0, options.has_user_compute_stream());
        }
    }

    @Test
    void aNegativeDeviceIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OrtRuntime.cudaOptions(-1, 0));
        assertTrue(e.getMessage().contains("start at 0"), e.getMessage());
    }

    @Test
    void segmentOutputsAreBoundToCudaDeviceMemoryOfTheChosenDevice() {
        try (MemoryInfo cuda = OrtRuntime.cudaMemory(2)) {
            assertEquals("Cuda", cuda.GetAllocatorName().getString());
            assertEquals(2, cuda.GetDeviceId());
            assertEquals(onnxruntime.OrtDeviceAllocator, cuda.GetAllocatorType());
            assertEquals(onnxruntime.OrtMemTypeDefault, cuda.GetMemoryType());
            assertEquals(onnxruntime.OrtMemoryInfoDeviceType_GPU, cuda.GetDeviceType());
        }
        assertEquals(onnxruntime.OrtMemoryInfoDeviceType_CPU, OrtRuntime.hostMemory().GetDeviceType());
    }

    @Test
    void aCudaRuntimeThatCannotStartSaysWhatIsMissing() {
        // With the CPU natives of the normal build this fails; with the -gpu natives on a GPU machine it starts.
        try (OrtRuntime runtime = OrtRuntime.cuda(0, 0, 1)) {
            assertEquals(ExecutionProvider.CUDA, runtime.provider());
            assertEquals(0, runtime.cudaDevice());
        } catch (OrtRuntimeException e) {
            assertTrue(e.getMessage().contains("CUDA execution provider could not be started on device 0"), e.getMessage());
            assertTrue(e.getMessage().contains("cannot open shared object file"), e.getMessage());
        }
    }
}
