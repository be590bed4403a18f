package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.service.BackendOption;
import dev.sagestudio.app.service.GenerationSpec;
import dev.sagestudio.app.service.HistoryService;
import dev.sagestudio.app.service.SettingsService;
import dev.sagestudio.app.ui.task.TaskExecutor;
import dev.sagestudio.models.output.PngWithParameters;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Generate form, queue, cancellation and reload, with a fake service and background work run on demand. */
class GenerateViewModelTest {
    @TempDir
    Path dir;

    private final FakeGenerationService service = new FakeGenerationService();
    private final MessagesViewModel messages = new MessagesViewModel();
    private SettingsViewModel settings;
    private HistoryViewModel history;

    private GenerateViewModel viewModel(TaskExecutor tasks) {
        settings = new SettingsViewModel(new SettingsService(dir.resolve("settings.json"), dir.resolve("out")), tasks,
                messages);
        history = new HistoryViewModel(HistoryService::new, dir.resolve("out"), tasks, messages, file -> { });
        GenerateViewModel vm = new GenerateViewModel(service, tasks, messages, settings, history, () -> 424242L);
        vm.load();
        return vm;
    }

    private GenerateViewModel loadedViewModel() {
        return viewModel(new SameThreadTaskExecutor());
    }

    @Test
    void theFormBecomesTheRequest() {
        GenerateViewModel vm = loadedViewModel();
        vm.promptProperty().set("  a red heart  ");
        vm.negativePromptProperty().set("blurry");
        vm.seedModeProperty().set(SeedMode.FIXED);
        vm.seedProperty().set(7);
        vm.stepsProperty().set(9);
        vm.guidanceProperty().set(4.5);
        vm.backendProperty().set(vm.backends().get(1));

        GenerationSpec spec = vm.toSpec();

        assertEquals(new GenerationSpec(FakeGenerationService.IMAGE.folder(), "cpu-sage-int8-fp16", "a red heart",
                "blurry", 7, 9, 4.5, "flow_euler", settings.current().get().previewEvery(), 0), spec);
    }

    @Test
    void choosingAModelPutsItsDefaultsIntoTheForm() {
        GenerateViewModel vm = loadedViewModel();
        vm.modelProperty().set(FakeGenerationService.VIDEO);
        assertEquals(12, vm.stepsProperty().get());
        assertEquals(2.0, vm.guidanceProperty().get());
        assertTrue(vm.modelShapeProperty().get().startsWith("video, 3 frames 4×4 at 8 fps"),
                vm.modelShapeProperty().get());
    }

    @Test
    void aRandomSeedIsDrawnAndShownAndReUseLastRepeatsIt() {
        GenerateViewModel vm = loadedViewModel();
        vm.promptProperty().set("a cat");
        vm.generate();
        assertEquals(424242L, service.ran.get(0).seed());
        assertEquals(424242L, vm.seedProperty().get());
        vm.seedProperty().set(1);
        vm.seedModeProperty().set(SeedMode.REUSE_LAST);
        assertEquals(424242L, vm.toSpec().seed());
    }

    @Test
    void promptsRunRecentlyAreOfferedNewestFirstAndSaved() {
        GenerateViewModel vm = loadedViewModel();
        for (String prompt : List.of("a cat", "a dog", "a cat")) {
            vm.promptProperty().set(prompt);
            vm.generate();
        }
        assertEquals(List.of("a cat", "a dog"), vm.recentPrompts());
        assertEquals(List.of("a cat", "a dog"), new SettingsService(dir.resolve("settings.json"), dir.resolve("out"))
                .load().settings().recentPrompts(), "kept across restarts");
    }

    @Test
    void anEmptyPromptIsReportedInTheWindowAndNothingRuns() {
        GenerateViewModel vm = loadedViewModel();
        vm.promptProperty().set("   ");
        vm.generate();
        assertTrue(service.ran.isEmpty());
        assertEquals("Invalid settings", messages.shownProperty().get().title());
        assertTrue(messages.shownProperty().get().cause().contains("prompt is empty"));
    }

    @Test
    void unavailableBackendsSayWhyAndCannotBeRequested() {
        GenerateViewModel vm = loadedViewModel();
        assertEquals("onnxruntime", vm.backendProperty().get().name(), "the first available backend is chosen");
        BackendOption gpu = vm.backends().get(2);
        assertFalse(gpu.available());
        assertEquals("sage-int8-fp16 cannot run here: " + FakeGenerationService.NO_GPU, gpu.availabilityText());
        vm.promptProperty().set("a cat");
        vm.backendProperty().set(gpu);
        assertEquals(gpu.availabilityText(), vm.backendAvailabilityProperty().get());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, vm::toSpec);
        assertTrue(refused.getMessage().contains(FakeGenerationService.NO_GPU));
    }

    @Test
    void jobsRunInQueueOrderWhichTheUserCanChange() {
        ManualTaskExecutor tasks = new ManualTaskExecutor();
        GenerateViewModel vm = viewModel(tasks);
        tasks.runAll(); // catalog, history
        for (String prompt : List.of("first", "second", "third", "fourth")) {
            vm.promptProperty().set(prompt);
            vm.generate();
        }
        assertTrue(vm.runningProperty().get());
        assertEquals(List.of("second", "third", "fourth"), prompts(vm.queue()));

        vm.moveJob(vm.queue().get(2), -1);
        vm.removeJob(vm.queue().get(0));
        assertEquals(List.of("fourth", "third"), prompts(vm.queue()));

        runJobs(tasks);
        assertEquals(List.of("first", "fourth", "third"), service.ran.stream().map(GenerationSpec::prompt).toList());
        assertFalse(vm.runningProperty().get());
        assertEquals(3, history.entries().size(), "every result is saved");
        assertEquals("third", history.entries().get(0).prompt(), "newest first");
    }

    /** Runs queued work until no generation is waiting; settings saves are interleaved. */
    private static void runJobs(ManualTaskExecutor tasks) {
        while (tasks.waiting() > 0) {
            tasks.runNext();
        }
    }

    private static List<String> prompts(List<QueuedJob> jobs) {
        return jobs.stream().map(j -> j.spec().prompt()).toList();
    }

    @Test
    void cancellingStopsTheRunningJobAndTheAppStaysUsable() {
        ManualTaskExecutor tasks = new ManualTaskExecutor();
        GenerateViewModel vm = viewModel(tasks);
        tasks.runAll();
        vm.promptProperty().set("slow one");
        vm.generate();
        vm.promptProperty().set("next one");
        vm.generate();
        assertTrue(vm.runningProperty().get());
        assertFalse(vm.cancellingProperty().get());

        vm.cancel();
        assertTrue(vm.cancellingProperty().get(), "Cancel is acknowledged at once");
        assertTrue(vm.statusProperty().get().startsWith("Cancelling job #1"));
        runUntilJobEnds(tasks);

        assertEquals("Generation cancelled", messages.all().get(messages.all().size() - 1).title());
        assertTrue(messages.all().get(messages.all().size() - 1).cause().contains("cancelled after 0 of"));
        assertNull(vm.resultProperty().get(), "a cancelled run shows no result");
        assertEquals(0, history.entries().size(), "and saves nothing");
        assertTrue(vm.runningProperty().get(), "the queue goes on with the next job");
        assertFalse(vm.cancellingProperty().get());
        runJobs(tasks);
        assertEquals("next one", vm.resultProperty().get().spec().prompt());
    }

    private static void runUntilJobEnds(ManualTaskExecutor tasks) {
        tasks.runNext(); // settings save of the 1st prompt
        tasks.runNext(); // the 1st generation, which sees the cancellation before its first step
        tasks.runNext(); // settings save of the 2nd prompt
    }

    @Test
    void cancellingMidRunStopsWithinOneStep() {
        GenerateViewModel vm = loadedViewModel();
        service.cancelAfterStep = 3;
        vm.promptProperty().set("a cat");
        vm.stepsProperty().set(20);
        vm.generate();
        assertEquals(3 / 20.0, vm.progressProperty().get(), 1e-9, "the bar stays where the run stopped");
        assertEquals("Cancelled", vm.stepTextProperty().get());
        assertTrue(messages.shownProperty().get().cause().contains("cancelled after 3 of 20 steps"));
        assertFalse(vm.runningProperty().get());
    }

    @Test
    void reloadingAResultPutsItsSettingsBackIntoTheForm() {
        GenerateViewModel vm = loadedViewModel();
        vm.modelProperty().set(FakeGenerationService.VIDEO);
        vm.promptProperty().set("a rocket moving up");
        vm.stepsProperty().set(5);
        vm.guidanceProperty().set(2.5);
        vm.backendProperty().set(vm.backends().get(1));
        vm.generate();
        Map<String, String> saved = history.entries().get(0).parameters();

        vm.modelProperty().set(FakeGenerationService.IMAGE);
        vm.promptProperty().set("something else");
        vm.backendProperty().set(vm.backends().get(0));
        vm.seedModeProperty().set(SeedMode.RANDOM);
        history.selectedProperty().set(history.entries().get(0));
        history.reloadSelected();

        assertEquals(FakeGenerationService.VIDEO, vm.modelProperty().get());
        assertEquals("a rocket moving up", vm.promptProperty().get());
        assertEquals(5, vm.stepsProperty().get());
        assertEquals(2.5, vm.guidanceProperty().get());
        assertEquals("cpu-sage-int8-fp16", vm.backendProperty().get().name());
        assertEquals(SeedMode.FIXED, vm.seedModeProperty().get());
        assertEquals(Long.parseLong(saved.get("seed")), vm.seedProperty().get());
    }

    @Test
    void reloadingFromADroppedPngReadsItsTextChunks() throws Exception {
        GenerateViewModel vm = loadedViewModel();
        Path png = dir.resolve("dropped.png");
        PngWithParameters.write(png, new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), Map.of("prompt",
                "a blue star", "negative_prompt", "", "seed", "99", "steps", "7", "guidance_scale", "4.0", "scheduler",
                "flow_euler", "model", "fake-t2i", "attention_requested", "sage-int8-fp16"));

        history.reloadFromFile(png);

        assertEquals("a blue star", vm.promptProperty().get());
        assertEquals(99, vm.seedProperty().get());
        assertEquals(7, vm.stepsProperty().get());
        assertEquals(4.0, vm.guidanceProperty().get());
        assertEquals("onnxruntime", vm.backendProperty().get().name(), "a backend this machine lacks is not chosen");
        assertTrue(messages.shownProperty().get().cause().contains("sage-int8-fp16' cannot run here"),
                messages.shownProperty().get().cause());
    }

    @Test
    void aPngWithoutParametersIsReportedNotReloaded() throws Exception {
        GenerateViewModel vm = loadedViewModel();
        vm.promptProperty().set("kept");
        Path png = dir.resolve("plain.png");
        javax.imageio.ImageIO.write(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
        history.reloadFromFile(png);
        assertEquals("kept", vm.promptProperty().get());
        assertEquals("No settings in this file", messages.shownProperty().get().title());
    }

    @Test
    void aFolderThatIsNoModelIsReportedAsABadModelFolder() {
        GenerateViewModel vm = loadedViewModel();
        vm.addModelFolder(dir);
        assertEquals("Bad model folder", messages.shownProperty().get().title());
        assertEquals(2, vm.models().size());
    }
}
