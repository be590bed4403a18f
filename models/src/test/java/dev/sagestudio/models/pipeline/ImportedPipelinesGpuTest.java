package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The imported pipelines' diffusers runs (see {@link ImportedPipelinesMatchDiffusersTest}) with the GPU attention
 * backends on the zero-copy device path, as a user runs them: every captured denoiser call gives PyTorch's output, and
 * our pipeline from the same seed gives the diffusers pipeline's image or clip within 40 dB PSNR, with the backend
 * asked for the one that ran. By default the
 * committed PixArt-Σ bundle; {@code -Dsagestudio.importedBundles=DIR} runs it on the bundles check_import.py wrote on
 * the GPU machine (SD3, SDXL, Wan). Skips, printing why, where the device path cannot start; fails instead with
 * {@code -Dsagestudio.gpu.required=true}.
 */
@Tag("gpu")
class ImportedPipelinesGpuTest {
    static final List<String> GPU_BACKENDS = List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp8");

    /** Each of {@code bundles} with each GPU backend. */
    private static Stream<Arguments> withEveryGpuBackend(List<String> bundles) {
        List<Arguments> cases = new ArrayList<>();
        for (String name : bundles) {
            GPU_BACKENDS.forEach(backend -> cases.add(Arguments.of(name, backend)));
        }
        return cases.stream();
    }

    static Stream<Arguments> bundlesAndGpuBackends() throws IOException {
        return withEveryGpuBackend(ImportedPipelinesMatchDiffusersTest.bundlesWithARun());
    }

    static Stream<Arguments> bundlesWithCallsAndGpuBackends() throws IOException {
        return withEveryGpuBackend(ImportedPipelinesMatchDiffusersTest.bundlesWith("calls"));
    }

    /**
     * Every denoiser call of the diffusers run, replayed through the bundle's denoiser on the device path, gives
     * PyTorch's output within the bound its CPU counterpart (the same arithmetic, emulated) is held to.
     */
    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("bundlesWithCallsAndGpuBackends")
    void everyCapturedDenoiserCallGivesPyTorchsOutputOnTheDevicePath(String name, String backend) throws Exception {
        String counterpart = BackendCatalog.standard().require(backend).cpuCounterpart().orElseThrow();
        try (AttentionChoice choice = PipelineDevicePathGpuTest.deviceChoiceOrSkip(backend);
             OrtRuntime host = OrtRuntime.cpu(2)) {
            ImportedPipelinesMatchDiffusersTest.assertCallsMatch(name, choice, host,
                    ImportedPipelinesMatchDiffusersTest.minCosine(counterpart));
        }
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("bundlesAndGpuBackends")
    void reproducesTheDiffusersPipelinesOutputOnTheDevicePath(String name, String backend) throws Exception {
        try (AttentionChoice choice = PipelineDevicePathGpuTest.deviceChoiceOrSkip(backend);
             OrtRuntime host = OrtRuntime.cpu(2)) {
            ImageMetrics m = ImportedPipelinesMatchDiffusersTest.reproduce(
                    ImportedPipelinesMatchDiffusersTest.ReferenceRun.of(name), choice, host);
            assertTrue(m.psnr() >= ImportedPipelinesMatchDiffusersTest.MIN_PSNR_DB, name + " with " + backend
                    + " on the device path: PSNR " + m.psnr() + " dB against the diffusers pipeline");
        }
    }
}
