package dev.sagestudio.app.compare;

import static dev.sagestudio.app.compare.SvgCharts.escape;

import dev.sagestudio.app.compare.CompareNumbers.Quality;
import dev.sagestudio.app.compare.CompareNumbers.TimingSplit;
import dev.sagestudio.models.output.AnimatedGif;
import dev.sagestudio.models.output.Pixels;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.GenerationResult;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The exported comparison: one self-contained HTML file a user can post — both outputs, the amplified difference,
 * the charts (inline SVG) and every number — with images as {@code data:} URIs and nothing fetched from anywhere.
 * The numbers are also embedded as JSON ({@code <script type="application/json" id="sagestudio-numbers">}), exactly
 * what {@link CompareJson} writes next to the report.
 */
public final class HtmlReport {

    /** Shown width of the outputs; small models make small images, scaled up without smoothing. */
    private static final int SHOWN_WIDTH = 256;

    private HtmlReport() {
    }

    /** The report of {@code result}; {@code numbers} must be {@code CompareNumbers.of(result)}. */
    public static String render(AbResult result, CompareNumbers numbers) throws IOException {
        GenerationResult a = result.a();
        GenerationResult b = result.b();
        boolean video = a.frames() > 1;
        DifferenceHeatmap heatmap = DifferenceHeatmap.of(a, b);
        double gain = heatmap.suggestedGain();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>SageStudio A/B comparison</title><style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222}")
                .append("img.px{image-rendering:pixelated;width:").append(SHOWN_WIDTH).append("px}")
                .append("img.frame{image-rendering:pixelated;width:96px}")
                .append("figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;")
                .append("text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}")
                .append(".verdict{font-size:1.15em;background:#f4f8ff;padding:.6em 1em;border-left:4px solid #0072b2}")
                .append("</style></head><body>\n");
        CompareNumbers.Setup s = numbers.setup();
        h.append("<h1>SageStudio A/B comparison</h1>\n<p>").append(escape(String.format(Locale.ROOT,
                "\"%s\" — model %s (%s, %d×%d%s), seed %d, %d steps, guidance %s, %s", s.prompt(), s.model(), s.kind(),
                s.width(), s.height(), s.frames() > 1 ? ", " + s.frames() + " frames at " + s.fps() + " fps" : "",
                s.seed(), s.steps(), s.guidanceScale(), s.scheduler()))).append("</p>\n");
        h.append("<p>A: ").append(side(numbers.a())).append("<br>B: ").append(side(numbers.b())).append("</p>\n");
        h.append("<p class=\"verdict\">").append(escape(CompareText.verdict(numbers))).append("</p>\n");

        h.append("<h2>Outputs</h2>\n");
        if (video) {
            figure(h, "A: " + numbers.a().requested(), gif(Pixels.frames(a.output(), a.frames(), a.height(), a.width(),
                    a.valueLow(), a.valueHigh()), a.fps()), "px");
            figure(h, "B: " + numbers.b().requested(), gif(Pixels.frames(b.output(), b.frames(), b.height(), b.width(),
                    b.valueLow(), b.valueHigh()), b.fps()), "px");
            List<BufferedImage> diffs = new ArrayList<>();
            for (int f = 0; f < heatmap.frames(); f++) {
                diffs.add(heatmap.render(f, gain).toBufferedImage());
            }
            figure(h, "|A − B| × " + SvgCharts.number(gain), gif(diffs, a.fps()), "px");
        } else {
            figure(h, "A: " + numbers.a().requested(), png(Pixels.image(a.output(), a.height(), a.width(),
                    a.valueLow(), a.valueHigh())), "px");
            figure(h, "B: " + numbers.b().requested(), png(Pixels.image(b.output(), b.height(), b.width(),
                    b.valueLow(), b.valueHigh())), "px");
            figure(h, "|A − B| × " + SvgCharts.number(gain), png(heatmap.render(0, gain).toBufferedImage()), "px");
        }
        h.append(legend(gain));

        h.append("<h2>How close</h2>\n<p>B's output against A's; PSNR and SSIM on values mapped to [0, 1] (SSIM: 11×11")
                .append(" Gaussian window, σ 1.5, per RGB channel), cosine, relative L1 and max abs on the raw output")
                .append(" tensors.</p>\n");
        h.append("<table><tr><th class=\"l\"></th><th>PSNR dB</th><th>SSIM</th><th>cosine</th><th>rel L1</th>")
                .append("<th>max abs</th></tr>\n");
        qualityRow(h, video ? "whole clip" : "image", numbers.quality());
        h.append("</table>\n");
        if (video) {
            h.append(SvgCharts.lines("PSNR per frame (B vs A)", "frame", "PSNR (dB)", CompareCharts.frameLabels(numbers),
                    List.of(CompareCharts.perFramePsnr(numbers)))).append('\n');
            h.append("<table><tr><th>frame</th><th>PSNR dB</th><th>SSIM</th><th>cosine</th><th>rel L1</th>")
                    .append("<th>max abs</th></tr>\n");
            for (int f = 0; f < numbers.frames().size(); f++) {
                qualityRow(h, Integer.toString(f + 1), numbers.frames().get(f));
            }
            h.append("</table>\n<h3>Frames</h3>\n<table><tr><th>frame</th><th>A</th><th>B</th><th>|A − B| × ")
                    .append(escape(SvgCharts.number(gain))).append("</th></tr>\n");
            List<BufferedImage> fa = Pixels.frames(a.output(), a.frames(), a.height(), a.width(), a.valueLow(),
                    a.valueHigh());
            List<BufferedImage> fb = Pixels.frames(b.output(), b.frames(), b.height(), b.width(), b.valueLow(),
                    b.valueHigh());
            for (int f = 0; f < fa.size(); f++) {
                h.append("<tr><td>").append(f + 1).append("</td><td>").append(img(png(fa.get(f)), "frame"))
                        .append("</td><td>").append(img(png(fb.get(f)), "frame")).append("</td><td>")
                        .append(img(png(heatmap.render(f, gain).toBufferedImage()), "frame")).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<h2>How fast</h2>\n");
        h.append(SvgCharts.bars("Time (ms), A vs B", "ms", CompareCharts.TIMING_CATEGORIES,
                CompareCharts.timingBars(numbers))).append('\n');
        timingTable(h, numbers);

        h.append("<h2>Which layers moved</h2>\n");
        LayerAccuracy layers = numbers.layers();
        if (layers.isEmpty()) {
            h.append("<p>No per-layer numbers: ").append(escape(numbers.layersAbsentReason())).append(".</p>\n");
        } else {
            h.append("<p>Q, K and V of sampled attention calls were captured during A's run and recomputed with B")
                    .append(" and with the float64 reference.</p>\n");
            h.append(SvgCharts.lines("Cosine similarity of B vs float64 reference, per layer", "layer", "cosine",
                    layers.shortLabels(), CompareCharts.layerCosineLines(layers))).append('\n');
            h.append(CompareCharts.heatmapSvg(layers)).append('\n');
            layerTable(h, layers);
        }
        if (numbers.captureBudgetHit()) {
            h.append("<p>Some sampled calls were skipped: the capture's memory budget was reached.</p>\n");
        }
        h.append("<h2>Numbers</h2>\n<p>All of the above as JSON (also written next to this file):</p>\n")
                .append("<script type=\"application/json\" id=\"sagestudio-numbers\">\n")
                .append(CompareJson.write(numbers).replace("</", "<\\/")).append("\n</script>\n")
                .append("<details><summary>show</summary><pre>").append(escape(CompareJson.write(numbers)))
                .append("</pre></details>\n");
        h.append("<p><small>Made by SageStudio. Timings are wall clock on the machine that ran the comparison.")
                .append("</small></p>\n</body></html>\n");
        return h.toString();
    }

    /** Writes the report to {@code html} and the numbers to the same name with {@code .json}; returns that path. */
    public static Path write(AbResult result, Path html) throws IOException {
        CompareNumbers numbers = CompareNumbers.of(result);
        String name = html.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path json = html.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
        Files.writeString(html, render(result, numbers));
        Files.writeString(json, CompareJson.write(numbers));
        return json;
    }

    private static String side(CompareNumbers.Side side) {
        String text = side.requested() + " — ran: " + side.ran() + "; ONNX Runtime " + side.onnxRuntimeProvider()
                + " EP" + (side.fallback() != null ? "; FALLBACK: " + side.fallback() : "");
        return escape(text);
    }

    private static void qualityRow(StringBuilder h, String label, Quality q) {
        h.append("<tr><td class=\"l\">").append(escape(label)).append("</td><td>")
                .append(CompareText.psnr(q.psnr())).append("</td><td>")
                .append(String.format(Locale.ROOT, "%.6f", q.ssim())).append("</td><td>")
                .append(String.format(Locale.ROOT, "%.8f", q.cosine())).append("</td><td>")
                .append(String.format(Locale.ROOT, "%.3e", q.relativeL1())).append("</td><td>")
                .append(String.format(Locale.ROOT, "%.3e", q.maxAbs())).append("</td></tr>\n");
    }

    private static void timingTable(StringBuilder h, CompareNumbers n) {
        TimingSplit a = n.timing().a();
        TimingSplit b = n.timing().b();
        h.append("<table><tr><th class=\"l\">ms</th><th>A ").append(escape(n.a().requested())).append("</th><th>B ")
                .append(escape(n.b().requested())).append("</th><th>A / B</th></tr>\n");
        timingRow(h, "total", a.totalMs(), b.totalMs());
        timingRow(h, "text encoding", a.textMs(), b.textMs());
        timingRow(h, "denoising (all steps)", a.denoiseMs(), b.denoiseMs());
        timingRow(h, "denoiser step (median)", a.medianStepMs(), b.medianStepMs());
        timingRow(h, "ONNX Runtime", a.ortMs(), b.ortMs());
        timingRow(h, "attention", a.attentionMeasured() ? a.attentionMs() : Double.NaN,
                b.attentionMeasured() ? b.attentionMs() : Double.NaN);
        timingRow(h, "guidance + scheduler", a.schedulerMs(), b.schedulerMs());
        timingRow(h, "other (tensor copies)", a.otherMs(), b.otherMs());
        timingRow(h, "decode", a.decodeMs(), b.decodeMs());
        h.append("</table>\n<p>").append(escape(CompareText.speedups(n))).append("</p>\n");
    }

    private static void timingRow(StringBuilder h, String label, double a, double b) {
        h.append("<tr><td class=\"l\">").append(escape(label)).append("</td><td>").append(CompareText.ms(a))
                .append("</td><td>").append(CompareText.ms(b)).append("</td><td>")
                .append(a > 0 && b > 0 ? String.format(Locale.ROOT, "%.2f×", a / b) : "–").append("</td></tr>\n");
    }

    private static void layerTable(StringBuilder h, LayerAccuracy layers) {
        h.append("<table><tr><th>step</th><th class=\"l\">layer</th><th class=\"l\">part</th><th>cos B-exact</th>")
                .append("<th>rel L1 B-exact</th><th>cos A-exact</th><th>rel L1 A-exact</th><th>cos B-A</th></tr>\n");
        for (LayerAccuracy.Cell c : layers.cells()) {
            boolean worst = c.equals(layers.worst());
            h.append(worst ? "<tr style=\"background:#fff1c8\">" : "<tr>").append("<td>").append(c.step() + 1)
                    .append("</td><td class=\"l\">").append(escape(layers.shortLabels().get(c.layer())))
                    .append(worst ? " (worst)" : "").append("</td><td class=\"l\">").append(escape(c.part()))
                    .append(String.format(Locale.ROOT, "</td><td>%.8f</td><td>%.3e</td><td>%.8f</td><td>%.3e</td>"
                            + "<td>%.8f</td></tr>%n", c.cosine(), c.relativeL1(), c.cosineA(), c.relativeL1A(),
                            c.cosineBvsA()));
        }
        h.append("</table>\n");
    }

    private static String legend(double gain) {
        StringBuilder h = new StringBuilder("<p>Difference colour scale (max over R, G, B of |A − B| in [0, 1]): ");
        for (ColourScale.Tick t : ColourScale.ticks(1 / gain, 5)) {
            h.append("<span style=\"display:inline-block;width:1em;height:1em;vertical-align:middle;background:")
                    .append(ColourScale.css(t.position())).append("\"></span> ")
                    .append(escape(SvgCharts.number(t.value()))).append(t.position() == 1 ? " or more" : "")
                    .append(" &nbsp; ");
        }
        return h.append("</p>\n").toString();
    }

    private static void figure(StringBuilder h, String caption, String dataUri, String css) {
        h.append("<figure>").append(img(dataUri, css)).append("<figcaption>").append(escape(caption))
                .append("</figcaption></figure>\n");
    }

    private static String img(String dataUri, String css) {
        return "<img class=\"" + css + "\" alt=\"\" src=\"" + dataUri + "\">";
    }

    static String png(BufferedImage image) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(ArgbImage.png(image));
    }

    private static String gif(List<BufferedImage> frames, int fps) throws IOException {
        Path file = Files.createTempFile("sagestudio-report", ".gif");
        try {
            AnimatedGif.write(file, frames, fps);
            return "data:image/gif;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
