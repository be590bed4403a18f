package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.fidelity.NonFinite;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 consecutive generations on the zero-copy device path leave no device buffer of ours allocated and every output
 * finite. Figures go to stdout for docs/RELIABILITY.md. Run by models/scripts/run-ort-gpu-bundle.sh.
 */
@Tag("gpu")
class DevicePathSoakGpuTest {

    static final int GENERATIONS = Integer.getInteger("sagestudio.soak.deviceGenerations", 200);

    @TempDir
    Path dir;

    @Test
    void twoHundredDevicePathGenerationsKeepDeviceMemoryFlat() throws Exception {
        ModelBundle bundle = ModelBundle.load(TinyBundle.image(dir.resolve("tiny"), false));
        try (AttentionChoice choice = PipelineDevicePathGpuTest.deviceChoiceOrSkip("sage-int8-fp16");
             OrtRuntime host = OrtRuntime.cpu(1);
             DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, choice, host)) {
            DeviceOnnxPath device = choice.device().orElseThrow();
            GenerationRequest request = GenerationRequest.of("a red heart", 1).withSteps(2);
            for (int i = 0; i < 10; i++) {
                pipeline.generate(request.withSeed(i)); // warm-up: sessions, arenas, kernels
            }
            long liveBefore = device.liveDeviceAllocations();
            long t0 = System.nanoTime();
            for (int i = 0; i < GENERATIONS; i++) {
                GenerationResult r = pipeline.generate(request.withSeed(i));
                assertEquals(-1, NonFinite.firstIndex(r.output()), "generation " + i);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long liveAfter = device.liveDeviceAllocations();
            System.out.printf(Locale.ROOT, "device-path soak: %d generations (2 steps, sage-int8-fp16) in %.1f s on"
                    + " %s; live device allocations %d -> %d%n", GENERATIONS, seconds, device.deviceName(), liveBefore,
                    liveAfter);
            assertTrue(liveAfter <= liveBefore, "device buffers left allocated: " + liveBefore + " -> " + liveAfter);
        }
    }
}
