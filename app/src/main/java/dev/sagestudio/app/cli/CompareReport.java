package dev.sagestudio.app.cli;

import dev.sagestudio.app.compare.Labels;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.output.GenerationOutput;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ImageMetrics;
import dev.sagestudio.models.pipeline.LayerError;
import dev.sagestudio.models.pipeline.StepTiming;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code sagestudio compare} shows of an {@link AbResult}: the report table and the side-by-side picture. */
final class CompareReport {

    private CompareReport() {
    }

    /** A's and B's images next to each other (one pair per frame), separated by a 4-pixel white gap. */
    static List<BufferedImage> sideBySide(AbResult result) {
        List<BufferedImage> left = GenerationOutput.images(result.a());
        List<BufferedImage> right = GenerationOutput.images(result.b());
        List<BufferedImage> out = new ArrayList<>(left.size());
        for (int i = 0; i < left.size(); i++) {
            BufferedImage l = left.get(i);
            BufferedImage r = right.get(i);
            BufferedImage pair = new BufferedImage(l.getWidth() + 4 + r.getWidth(), Math.max(l.getHeight(),
                    r.getHeight()), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = pair.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, pair.getWidth(), pair.getHeight());
            g.drawImage(l, 0, 0, null);
            g.drawImage(r, l.getWidth() + 4, 0, null);
            g.dispose();
            out.add(pair);
        }
        return out;
    }

    /** The report printed by {@code sagestudio compare}. */
    static String table(AbResult result) {
        GenerationResult a = result.a();
        GenerationResult b = result.b();
        ImageMetrics metrics = result.metrics();
        List<LayerError> layers = result.layers();
        StringBuilder s = new StringBuilder();
        String nameA = a.execution().attentionThatRan();
        String nameB = b.execution().attentionThatRan();
        s.append(String.format(Locale.ROOT, "A/B: \"%s\", seed %d, %d steps, guidance %s, %s, model %s%n", a.prompt(),
                a.seed(), a.steps(), a.guidanceScale(), a.scheduler().jsonName(), a.model()));
        s.append("A: ").append(ExecutionText.describe(a.execution()).replace("\n", "\n   ")).append('\n');
        s.append("B: ").append(ExecutionText.describe(b.execution()).replace("\n", "\n   ")).append('\n');
        s.append("\nOutput of B vs A (values mapped to [0,1]; SSIM: 11x11 Gaussian window, sigma 1.5, per RGB channel)\n");
        AccuracyMetrics raw = metrics.raw();
        s.append(String.format(Locale.ROOT, "  PSNR %s dB   SSIM %.6f   cosine %.8f   rel L1 %.3e   max abs %.3e%n",
                Double.isInfinite(metrics.psnr()) ? "inf" : String.format(Locale.ROOT, "%.2f", metrics.psnr()),
                metrics.ssim(), raw.cosineSimilarity(), raw.relativeL1(), raw.maxAbsError()));
        s.append("\nAttention error on real activations (Q/K/V captured in A's run; exact = float64 reference)\n");
        if (layers.isEmpty()) {
            s.append(a.execution().attention().isOnnxRuntime() || b.execution().attention().isOnnxRuntime()
                    ? "  (none: onnxruntime runs attention inside ONNX Runtime, where Q/K/V cannot be reached)\n"
                    : "  (no attention call was sampled)\n");
        } else {
            s.append(String.format(Locale.ROOT, "  %-4s %-34s %-11s %-22s %12s %12s %12s %10s%n", "step", "node",
                    "part", "shape B,Hq/Hkv,Nq,Nkv,D", "cos A-exact", "cos B-exact", "cos B-A", "relL1 B-A"));
            // The layers by the part of their names that differs, as the compare view and the HTML report show them.
            List<String> nodes = layers.stream().map(LayerError::node).distinct().toList();
            List<String> shortNodes = Labels.withoutCommonPrefix(nodes);
            for (LayerError e : layers) {
                var sh = e.shape();
                String shape = sh.batch() + "," + sh.qHeads() + "/" + sh.kvHeads() + "," + sh.qLen() + "," + sh.kvLen()
                        + "," + sh.headDim();
                s.append(String.format(Locale.ROOT, "  %-4d %-34s %-11s %-22s %12.8f %12.8f %12.8f %10.3e%n", e.step(),
                        clipStart(shortNodes.get(nodes.indexOf(e.node())), 34), e.part(), shape, e.aVsExact().cosineSimilarity(),
                        e.bVsExact().cosineSimilarity(), e.bVsA().cosineSimilarity(), e.bVsA().relativeL1()));
            }
        }
        if (result.captureBudgetHit()) {
            s.append("  (some sampled calls were skipped: capture memory budget reached)\n");
        }
        s.append("\nTiming (wall clock; ONNX Runtime = time in sessions, attention = time in the backend)\n");
        s.append(String.format(Locale.ROOT, "  %-26s %22s %22s%n", "", clip("A " + nameA, 22), clip("B " + nameB, 22)));
        row(s, "total", a.totalNanos(), b.totalNanos());
        row(s, "text encoding", a.textNanos(), b.textNanos());
        row(s, "denoising (all steps)", sumSteps(a), sumSteps(b));
        row(s, "  per step (median)", a.medianStepNanos(), b.medianStepNanos());
        row(s, "  ONNX Runtime", a.ortNanos(), b.ortNanos());
        row(s, "  attention", a.attentionNanos(), b.attentionNanos());
        row(s, "  guidance + scheduler", schedulerNanos(a), schedulerNanos(b));
        row(s, "  other (tensor copies)", otherNanos(a), otherNanos(b));
        row(s, "decode", a.decodeNanos(), b.decodeNanos());
        s.append(String.format(Locale.ROOT, "  %-26s %22s %22s%n", "copies per step", copies(a), copies(b)));
        return s.toString();
    }

    private static String copies(GenerationResult r) {
        if (r.stepTimings().isEmpty()) {
            return "-";
        }
        StepTiming t = r.stepTimings().get(r.stepTimings().size() - 1);
        return String.format(Locale.ROOT, "%d (%.1f MB)", t.copies(), t.copiedBytes() / 1e6);
    }

    private static long schedulerNanos(GenerationResult r) {
        return r.stepTimings().stream().mapToLong(StepTiming::schedulerNanos).sum();
    }

    private static long otherNanos(GenerationResult r) {
        return r.stepTimings().stream().mapToLong(StepTiming::otherNanos).sum();
    }

    private static long sumSteps(GenerationResult r) {
        return r.stepTimings().stream().mapToLong(StepTiming::totalNanos).sum();
    }

    private static void row(StringBuilder s, String label, long a, long b) {
        s.append(String.format(Locale.ROOT, "  %-26s %19.1f ms %19.1f ms%n", label, a / 1e6, b / 1e6));
    }

    /** Keeps the end, where node names differ (exporters give long common prefixes). */
    private static String clipStart(String text, int width) {
        return text.length() <= width ? text : "…" + text.substring(text.length() - width + 1);
    }

    private static String clip(String text, int width) {
        return text.length() <= width ? text : text.substring(0, width - 1) + "…";
    }
}
