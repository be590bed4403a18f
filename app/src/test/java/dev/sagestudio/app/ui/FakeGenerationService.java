package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.BackendOption;
import dev.sagestudio.app.service.Cancellation;
import dev.sagestudio.app.service.Frames;
import dev.sagestudio.app.service.GeneratedResult;
import dev.sagestudio.app.service.GenerationCancelledException;
import dev.sagestudio.app.service.GenerationService;
import dev.sagestudio.app.service.GenerationSpec;
import dev.sagestudio.app.service.ModelInfo;
import dev.sagestudio.app.service.RunReport;
import dev.sagestudio.app.service.StepProgress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A generation service posing as a machine with two models and a GPU-less backend list; it "generates" a flat grey
 * picture in {@code steps} reported steps, honours cancellation between steps, and records every spec it ran.
 */
final class FakeGenerationService implements GenerationService {
    static final String NO_GPU = "No NVIDIA driver was found.";
    static final ModelInfo IMAGE = new ModelInfo("fake-t2i", "Fake image model", Path.of("/models/fake-t2i"), false,
            1, 4, 4, 0, 20, 3.0, "flow_euler", List.of("flow_euler"), true);
    static final ModelInfo VIDEO = new ModelInfo("fake-t2v", "Fake video model", Path.of("/models/fake-t2v"), true,
            3, 4, 4, 8, 12, 2.0, "flow_euler", List.of("flow_euler"), true);

    final List<GenerationSpec> ran = new ArrayList<>();
    /** Cancels the run's own token after this many steps (-1: never), as a user pressing Esc mid-run would. */
    int cancelAfterStep = -1;
    Cancellation lastCancellation;

    @Override
    public List<ModelInfo> models(List<Path> userFolders) {
        return List.of(IMAGE, VIDEO);
    }

    @Override
    public ModelInfo inspect(Path folder) {
        throw new IllegalArgumentException(folder + " is not a usable model bundle: model.json is missing");
    }

    @Override
    public List<BackendOption> backends() {
        return List.of(new BackendOption("onnxruntime", "ONNX Runtime's own attention", false, Optional.empty(),
                        Optional.empty()),
                new BackendOption("cpu-sage-int8-fp16", "emulated SageAttention", false, Optional.empty(),
                        Optional.empty()),
                new BackendOption("sage-int8-fp16", "SageAttention CUDA kernel", true, Optional.of(NO_GPU),
                        Optional.empty()));
    }

    @Override
    public GeneratedResult generate(GenerationSpec spec, Consumer<StepProgress> progress, Cancellation cancel) {
        lastCancellation = cancel;
        ran.add(spec);
        boolean video = spec.model().equals(VIDEO.folder());
        int frames = video ? 3 : 1;
        for (int step = 1; step <= spec.steps(); step++) {
            if (cancel.isCancelled()) {
                throw new GenerationCancelledException("cancelled after " + (step - 1) + " of " + spec.steps()
                        + " steps");
            }
            progress.accept(new StepProgress(step, spec.steps(), 0.5, 0.5 * (spec.steps() - step), Optional.empty()));
            if (step == cancelAfterStep) {
                cancel.cancel();
            }
        }
        List<int[]> pixels = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            pixels.add(new int[16]);
            java.util.Arrays.fill(pixels.get(f), 0xFF808080);
        }
        RunReport report = new RunReport(List.of(new RunReport.NodeGroupRun("denoiser", spec.backend(),
                spec.backend())), "CPU", List.of(), List.of(), 1.0, 0.05, 4.0);
        return new GeneratedResult(spec, video ? VIDEO.name() : IMAGE.name(), video,
                new Frames(4, 4, video ? 8 : 0, pixels), report, Map.of("prompt", spec.prompt(),
                "negative_prompt", spec.negativePrompt(), "seed", Long.toString(spec.seed()),
                "steps", Integer.toString(spec.steps()), "guidance_scale", Double.toString(spec.guidance()),
                "scheduler", spec.sampler(), "model", video ? VIDEO.name() : IMAGE.name(),
                "attention_requested", spec.backend(), "attention_backend", spec.backend()));
    }
}
