package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.BundleLocator;
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
        PipelineGenerationService service = new PipelineGenerationService(List::of, Optional::empty);
        assertEquals(List.of(), service.models(List.of(empty)));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> service.inspect(empty));
        assertTrue(refused.getMessage().contains("is not a usable model bundle"), refused.getMessage());
    }

    @Test
    void aUserFolderWithAModelIsListedAfterTheBundledOnes() {
        Path t2v = BundleLocator.bundledModelFolders().stream().filter(f -> f.endsWith("sage-emoji-t2v")).findFirst()
                .orElseThrow();
        PipelineGenerationService service = new PipelineGenerationService(List::of, Optional::empty);
        List<ModelInfo> models = service.models(List.of(t2v));
        assertEquals(1, models.size());
        assertFalse(models.get(0).bundled());
    }

    @Test
    void gpuBackendsCarryTheReasonTheMachineCannotRunThem() {
        List<BackendOption> withoutGpu = new PipelineGenerationService(List::of,
                () -> Optional.of("No NVIDIA driver was found.")).backends();
        assertTrue(withoutGpu.stream().filter(b -> !b.gpu()).allMatch(BackendOption::available), "CPU ones run");
        List<BackendOption> gpu = withoutGpu.stream().filter(BackendOption::gpu).toList();
        assertEquals(List.of("sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8", "flash-fp16"),
                gpu.stream().map(BackendOption::name).toList());
        assertTrue(gpu.stream().allMatch(b -> b.unavailableReason().equals(Optional.of("No NVIDIA driver was"
                + " found."))));

        List<BackendOption> withGpu = new PipelineGenerationService(List::of, Optional::empty).backends();
        assertTrue(withGpu.stream().allMatch(BackendOption::available), "a machine with a GPU can run every one");
    }
}
