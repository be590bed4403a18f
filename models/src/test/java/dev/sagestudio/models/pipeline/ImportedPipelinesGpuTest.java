package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The imported pipelines' whole diffusers runs (see {@link ImportedPipelinesMatchDiffusersTest}) reproduced with the GPU
 * attention backends on the zero-copy device path, as a user runs them: our pipeline from the same seed gives the
 * diffusers pipeline's image or clip within 40 dB PSNR, and the backend asked for is the one that ran. By default the
 * committed PixArt-Σ bundle; {@code -Dsagestudio.importedBundles=DIR} runs it on the bundles check_import.py wrote on
 * the GPU machine (SD3, SDXL, Wan). Skips, printing why, where the device path cannot start; fails instead with
 * {@code -Dsagestudio.gpu.required=true}.
 */
@Tag("gpu")
class ImportedPipelinesGpuTest {
    static final List<String> GPU_BACKENDS = List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp8");

    static Stream<Arguments> bundlesAndGpuBackends() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (String name : ImportedPipelinesMatchDiffusersTest.bundlesWithARun()) {
            GPU_BACKENDS.forEach(backend -> cases.add(Arguments.of(name, backend)));
        }
        return cases.stream();
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
