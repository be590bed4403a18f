package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.GenerationSpec;

/**
 * A generation waiting in the queue.
 *
 * @param number its place in the order jobs were added (1, 2, …), to tell jobs with the same prompt apart
 * @param modelName the model's name
 */
public record QueuedJob(int number, GenerationSpec spec, String modelName) {

    /** What the queue list shows. */
    public String label() {
        String prompt = spec.prompt().length() > 40 ? spec.prompt().substring(0, 39) + "…" : spec.prompt();
        return "#" + number + " " + prompt + " — " + modelName + ", seed " + spec.seed() + ", " + spec.steps()
                + " steps, " + spec.backend();
    }
}
