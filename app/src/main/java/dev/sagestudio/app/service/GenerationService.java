package dev.sagestudio.app.service;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Models, attention backends and generation, as the desktop app needs them. Implementations hold no UI code. */
public interface GenerationService {

    /** The bundled models (those found) followed by the given user folders that hold valid bundles. */
    List<ModelInfo> models(List<Path> userFolders);

    /** The model in {@code folder}, or an {@link IllegalArgumentException} saying what is wrong with it. */
    ModelInfo inspect(Path folder);

    /** Every attention backend, with whether this machine can run it and why not. */
    List<BackendOption> backends();

    /**
     * Runs {@code spec} on the calling thread, reporting each step.
     *
     * @throws GenerationCancelledException when {@code cancel} was cancelled (within one step)
     */
    GeneratedResult generate(GenerationSpec spec, Consumer<StepProgress> progress, Cancellation cancel);
}
