package dev.sagestudio.app.cli;

import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.pipeline.StepEvent;
import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar (redrawn with carriage returns) for long work, written to stderr. */
final class ConsoleProgress implements ProgressListener {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;

    ConsoleProgress(PrintWriter err, String label) {
        this.err = err;
        this.label = label;
    }

    @Override
    public void onStep(StepEvent e) {
        int filled = (int) Math.round(e.fractionDone() * WIDTH);
        double perStep = e.timing().totalNanos() / 1e9;
        double eta = perStep * (e.steps() - e.step() - 1);
        String share = e.timing().recorded() ? " (one CUDA graph launch)"
                : e.timing().attentionCalls() == 0 ? ""
                : String.format(Locale.ROOT, " (attention %.0f%%)",
                        100.0 * e.timing().attentionNanos() / Math.max(1, e.timing().totalNanos()));
        err.printf(Locale.ROOT, "\r%s [%s%s] %d/%d  %.2f s/step%s  ETA %.0f s ", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), e.step() + 1, e.steps(), perStep, share, eta);
        if (e.step() + 1 == e.steps()) {
            err.println();
        }
        err.flush();
    }
}
