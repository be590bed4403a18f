package dev.sagestudio.app.compare;

import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ImageMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A finished sweep: a grid of generations, rows × backends, each with its time and its closeness to the first
 * column of its row, and labels that show only what differs (the shared settings go into {@link #shared()}).
 *
 * @param columnLabels one per backend: what differs between the columns
 * @param rowLabels one per row: what differs between the rows
 * @param shared the settings every cell has in common, for a caption
 * @param cells [row][column]
 */
public record SweepResult(List<String> columnLabels, List<String> rowLabels, Map<String, String> shared,
                          List<List<Cell>> cells) {

    /**
     * One generation of the grid.
     *
     * @param psnr PSNR against the first column of the row, in dB (+∞ for the first column itself)
     * @param ssim SSIM against the first column of the row
     */
    public record Cell(GenerationResult result, double totalMs, double psnr, double ssim) {
        /** The output as an image (a video's first frame). */
        public ArgbImage preview() {
            return CompareOutcome.images(result).get(0);
        }

        /** "1.23 s · PSNR 41.2 dB", or "1.23 s · reference" for the first column. */
        public String caption(boolean reference) {
            String time = totalMs >= 1000 ? String.format(Locale.ROOT, "%.2f s", totalMs / 1000)
                    : String.format(Locale.ROOT, "%.0f ms", totalMs);
            return time + " · " + (reference ? "reference" : "PSNR " + CompareText.psnr(psnr) + " dB");
        }
    }

    /** Builds the result from the generations, [row][column], measuring each against the first of its row. */
    public static SweepResult of(List<List<GenerationResult>> grid) {
        List<List<Cell>> cells = new ArrayList<>();
        for (List<GenerationResult> row : grid) {
            GenerationResult first = row.get(0);
            List<Cell> out = new ArrayList<>();
            for (GenerationResult r : row) {
                ImageMetrics m = ImageMetrics.compare(first.output(), r.output(), first.frames(), first.height(),
                        first.width(), first.valueLow(), first.valueHigh());
                out.add(new Cell(r, r.totalNanos() / 1e6, m.psnr(), m.ssim()));
            }
            cells.add(List.copyOf(out));
        }
        List<Map<String, String>> all = new ArrayList<>();
        grid.forEach(row -> row.forEach(r -> all.add(settings(r))));
        Map<String, String> shared = Labels.distinct(all).shared();
        List<Map<String, String>> columns = grid.get(0).stream().map(SweepResult::settings).toList();
        List<Map<String, String>> rows = grid.stream().map(row -> settings(row.get(0))).toList();
        return new SweepResult(Labels.distinct(columns).labels(), Labels.distinct(rows).labels(), shared,
                List.copyOf(cells));
    }

    /** What made a cell; the backend under the empty key, so its label is the bare name. */
    static Map<String, String> settings(GenerationResult r) {
        Map<String, String> s = new LinkedHashMap<>();
        String ran = r.execution().attentionThatRan();
        String requested = r.execution().attention().requested();
        s.put("", requested.equals(ran) || r.execution().attention().isOnnxRuntime() ? requested
                : requested + " (ran " + ran + ")");
        s.put("seed", Long.toString(r.seed()));
        s.put("steps", Integer.toString(r.steps()));
        s.put("guidance", Double.toString(r.guidanceScale()));
        s.put("scheduler", r.scheduler().jsonName());
        s.put("model", r.model());
        s.put("prompt", "\"" + r.prompt() + "\"");
        return s;
    }

    /** A caption of the shared settings: {@code model m, prompt "…", steps 20, …}. */
    public String caption() {
        List<String> parts = new ArrayList<>();
        shared.forEach((k, v) -> parts.add(k.isEmpty() ? v : k + " " + v));
        return String.join(", ", parts);
    }
}
