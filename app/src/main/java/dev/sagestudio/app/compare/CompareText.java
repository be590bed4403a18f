package dev.sagestudio.app.compare;

import java.util.Locale;

/** The sentences and number formats the compare view and the report share, so both read the same. */
public final class CompareText {

    private CompareText() {
    }

    /** PSNR in dB with two decimals, or "inf" for identical outputs. */
    public static String psnr(double db) {
        return Double.isInfinite(db) && db > 0 ? "inf" : String.format(Locale.ROOT, "%.2f", db);
    }

    /** Milliseconds with one decimal, or "–" for not measured. */
    public static String ms(double ms) {
        return Double.isFinite(ms) ? String.format(Locale.ROOT, "%.1f", ms) : "–";
    }

    /** A speed-up ratio as "1.83×", or "–" when not measured. */
    public static String ratio(double r) {
        return Double.isFinite(r) ? String.format(Locale.ROOT, "%.2f×", r) : "–";
    }

    /** "B was 1.83× faster overall (A / B time), 2.10× per denoiser step, 3.40× in attention alone." */
    public static String speedups(CompareNumbers n) {
        CompareNumbers.Timing t = n.timing();
        String attention = Double.isFinite(t.attentionSpeedup())
                ? ", " + ratio(t.attentionSpeedup()) + " in attention alone"
                : " (attention alone not measured: ONNX Runtime ran it inside its sessions)";
        return "Speed-up of B over A (A's time / B's time; above 1 means B was faster): " + ratio(t.totalSpeedup())
                + " overall, " + ratio(t.stepSpeedup()) + " per denoiser step" + attention + ".";
    }

    /** One paragraph: how much faster, how close, which layer moved most. */
    public static String verdict(CompareNumbers n) {
        CompareNumbers.Timing t = n.timing();
        StringBuilder s = new StringBuilder();
        double r = t.stepSpeedup();
        s.append(String.format(Locale.ROOT, "%s took %s ms per denoiser step against %s's %s ms: ", n.b().requested(),
                ms(t.b().medianStepMs()), n.a().requested(), ms(t.a().medianStepMs())));
        s.append(!Double.isFinite(r) ? "no ratio" : r >= 1 ? ratio(r) + " faster" : ratio(1 / r) + " slower");
        s.append(String.format(Locale.ROOT, " (%s ms against %s ms in all). Output PSNR %s dB, SSIM %.4f.",
                ms(t.b().totalMs()), ms(t.a().totalMs()), psnr(n.quality().psnr()), n.quality().ssim()));
        LayerAccuracy.Cell w = n.layers().worst();
        if (w != null) {
            s.append(String.format(Locale.ROOT, " Largest attention error: %s at %s (relative L1 %.3e, cosine %.6f).",
                    n.layers().layers().get(w.layer()), CompareCharts.stepLabel(w.step()), w.relativeL1(),
                    w.cosine()));
        }
        return s.toString();
    }
}
