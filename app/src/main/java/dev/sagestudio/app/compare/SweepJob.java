package dev.sagestudio.app.compare;

import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;

/**
 * A sweep for the sweep view: model folder, prompt, seed, steps, backends and the rows. Blocking: call it off the UI
 * thread.
 *
 * @param steps denoising steps (the rows override them when they vary steps), or null for the model's default
 */
public record SweepJob(Path bundle, String prompt, long seed, Integer steps, List<String> backends, SweepPlan.Axis axis,
                       List<Long> values, int threads) {

    /** Told when a cell starts. */
    @FunctionalInterface
    public interface Progress {
        void cell(int done, int cells, String label);
    }

    /** The plan (checked: at least one backend and value, step counts in range). */
    public SweepPlan plan() {
        return new SweepPlan(GenerationRequest.of(prompt, seed).withSteps(steps), backends, axis, values);
    }

    public SweepResult run(Progress progress, BooleanSupplier cancelled) throws IOException {
        SweepPlan plan = plan();
        CancellationToken cancel = new CancellationToken();
        return Sweep.run(Bundles.load(bundle), plan, OrtRuntime.cpu(threads), false, threads,
                (row, column, done, cells) -> {
                    progress.cell(done, cells, plan.backends().get(column) + ", " + axis.label() + " "
                            + values.get(row));
                    return event -> {
                        if (cancelled.getAsBoolean()) {
                            cancel.cancel();
                        }
                    };
                }, cancel);
    }

    /** Writes the grid as one PNG. */
    public static void exportImage(SweepResult result, Path png) throws IOException {
        BufferedImage image = SweepImage.render(result);
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer for " + png);
        }
    }

    /** Parses "1, 2, 3" into values; a clear error naming the bad entry otherwise. */
    public static List<Long> parseValues(String text) {
        String[] parts = text.split("[,\\s]+");
        java.util.ArrayList<Long> out = new java.util.ArrayList<>();
        for (String p : parts) {
            if (p.isBlank()) {
                continue;
            }
            try {
                out.add(Long.parseLong(p.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + p.trim() + "' is not a whole number");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("give at least one value, e.g. 1, 2, 3");
        }
        return List.copyOf(out);
    }
}
