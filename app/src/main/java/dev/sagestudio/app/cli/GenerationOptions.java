package dev.sagestudio.app.cli;

import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every generating command shares (picocli mixin; the model and runtime options are inherited). */
final class GenerationOptions extends ModelRuntimeOptions {

    @Parameters(index = "0", paramLabel = "PROMPT", description = "What to generate, e.g. \"a red heart, twemoji style\".")
    String prompt;

    @Option(names = {"-n", "--negative-prompt"}, paramLabel = "TEXT",
            description = "Unconditional prompt for classifier-free guidance (default: the model's, usually empty).")
    String negativePrompt;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the initial noise (default: random, printed).")
    Long seed;

    @Option(names = "--steps", paramLabel = "N", description = "Denoising steps (default: the model's).")
    Integer steps;

    @Option(names = {"-g", "--guidance"}, paramLabel = "SCALE",
            description = "Classifier-free guidance scale, >= 1; 1 disables guidance (default: the model's).")
    Double guidance;

    @Option(names = "--scheduler", paramLabel = "NAME", description = "Sampler: ddim, euler, euler_ancestral, dpmpp_2m"
            + " (epsilon/v models) or flow_euler (flow models) (default: the model's).")
    String scheduler;

    long seedOrRandom() {
        if (seed == null) {
            seed = ThreadLocalRandom.current().nextLong(0, 1L << 32);
        }
        return seed;
    }

    GenerationRequest request() {
        return new GenerationRequest(prompt, negativePrompt, seedOrRandom(), steps, guidance, schedulerName(), 0);
    }

    private SchedulerName schedulerName() {
        if (scheduler == null) {
            return null;
        }
        for (SchedulerName s : SchedulerName.values()) {
            if (s.jsonName().equals(scheduler.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scheduler '" + scheduler + "'; choose one of "
                + Arrays.stream(SchedulerName.values()).map(SchedulerName::jsonName).toList());
    }
}
