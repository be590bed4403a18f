package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.attention.catalog.BackendProbe;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generation service over today's libraries: the model list, the backend list, a bad folder. */
class PipelineGenerationServiceTest {
    @TempDir
    Path dir;

    @Test
    void theBundledModelsAreListedWithWhatTheyMake() {
        List<ModelInfo> models = new PipelineGenerationService().models(List.of());
        ModelInfo image = models.stream().filter(m -> m.name().equals("sage-emoji-t2i")).findFirst().orElseThrow();
        ModelInfo video = models.stream().filter(m -> m.name().equals("sage-emoji-t2v")).findFirst().orElseThrow();
        assertFalse(image.video());
        assertEquals("image, 64×64", image.shapeText());
        assertTrue(video.video() && video.frames() == 16 && video.fps() == 8, video.toString());
        assertEquals(List.of("flow_euler"), video.samplers(), "a flow model samples with flow samplers only");
        assertTrue(image.bundled());
    }

    @Test
    void aUserFolderThatIsNoModelIsLeftOutOfTheListAndRefusedWithTheReason() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        PipelineGenerationService service = new PipelineGenerationService(List::of, BackendsHere::here);
        assertEquals(List.of(), service.models(List.of(empty)));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> service.inspect(empty));
        assertTrue(refused.getMessage().contains("is not a usable model bundle"), refused.getMessage());
    }

    @Test
    void aUserFolderWithAModelIsListedAfterTheBundledOnes() {
        Path t2v = BundleLocator.bundledModelFolders().stream().filter(f -> f.endsWith("sage-emoji-t2v")).findFirst()
                .orElseThrow();
        PipelineGenerationService service = new PipelineGenerationService(List::of, BackendsHere::here);
        List<ModelInfo> models = service.models(List.of(t2v));
        assertEquals(1, models.size());
        assertFalse(models.get(0).bundled());
    }

    @Test
    void thePickerListsTheCatalogsBackendsWithWhyEachCannotRunHere() {
        BackendsHere ampere = new BackendsHere(new BackendProbe(new GpuStatus(true, "1 CUDA device(s)", 13000,
                List.of(new DeviceInfo(0, "NVIDIA A100", 8, 0, 80L << 30, 108, 13000))), Optional.empty(),
                Optional.empty()));
        List<BackendOption> options = new PipelineGenerationService(List::of, () -> ampere).backends();
        assertEquals(ampere.offered().stream().map(a -> a.backend().name()).toList(),
                options.stream().map(BackendOption::name).toList());
        BackendOption fp8 = options.stream().filter(o -> o.name().equals("sage-int8-fp8")).findFirst().orElseThrow();
        assertTrue(fp8.gpu() && !fp8.available(), fp8.toString());
        assertTrue(fp8.availabilityText().contains("needs compute capability 8.9"), fp8.availabilityText());
        assertTrue(options.stream().filter(o -> !o.name().equals("sage-int8-fp8")).allMatch(BackendOption::available));

        List<BackendOption> withoutGpu = new PipelineGenerationService(List::of, () -> new BackendsHere(
                new BackendProbe(new GpuStatus(false, "No NVIDIA driver was found.", 0, List.of()), Optional.empty(),
                        Optional.empty()))).backends();
        assertTrue(withoutGpu.stream().filter(b -> !b.gpu()).allMatch(BackendOption::available), "CPU ones run");
        assertTrue(withoutGpu.stream().filter(BackendOption::gpu).allMatch(b -> b.unavailableReason()
                .equals(Optional.of("No NVIDIA driver was found."))));
    }
}
