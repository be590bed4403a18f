package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.quant.Granularity;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One SageAttention variant: whether K is smoothed, the INT8 granularity of Q and K, and the PV mode.
 *
 * @param smoothK     subtract the per-(batch, kv-head) mean of K over tokens before quantizing
 * @param granularity how many rows of Q and of K share one INT8 scale
 * @param pvMode      precision of P·V
 */
public record SageConfig(boolean smoothK, Granularity granularity, PvMode pvMode) {

    /** Ends the backend name of a variant whose K is not smoothed. */
    public static final String NO_SMOOTH_SUFFIX = "-nosmooth";

    public SageConfig {
        Objects.requireNonNull(granularity, "granularity");
        Objects.requireNonNull(pvMode, "pvMode");
    }

    /** SageAttention's default: smoothed K, per-block INT8 Q/K, FP16 PV with FP32 accumulation. */
    public static SageConfig defaults() {
        return new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP16);
    }

    /**
     * The backend name: {@code cpu-sage-int8-<pv>}, then {@code -per-warp} or {@code -per-thread}
     * unless per-block, then {@code -nosmooth} when K is not smoothed; e.g.
     * {@code cpu-sage-int8-fp16}, {@code cpu-sage-int8-fp8-per-thread}, {@code cpu-sage-int8-fp16-nosmooth}.
     */
    public String backendName() {
        return "cpu-sage-int8-" + pvMode.label()
                + (granularity == Granularity.PER_BLOCK ? "" : "-" + granularity.label())
                + (smoothK ? "" : NO_SMOOTH_SUFFIX);
    }

    /**
     * The variants the accuracy report compares: the default, the default without smoothing, each
     * granularity, each PV mode, and SageAttention2's combination (per-thread INT8 with FP8 PV).
     */
    public static List<SageConfig> reportVariants() {
        return List.of(
                defaults(),
                new SageConfig(false, Granularity.PER_BLOCK, PvMode.FP16),
                new SageConfig(true, Granularity.PER_WARP, PvMode.FP16),
                new SageConfig(true, Granularity.PER_THREAD, PvMode.FP16),
                new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP16_ACCUM_FP16),
                new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP8),
                new SageConfig(true, Granularity.PER_THREAD, PvMode.FP8),
                new SageConfig(true, Granularity.PER_BLOCK, PvMode.INT8));
    }

    /** Every variant: each PV mode with each granularity, smoothed K first. */
    public static List<SageConfig> all() {
        List<SageConfig> all = new ArrayList<>();
        for (boolean smooth : new boolean[] {true, false}) {
            for (PvMode pv : PvMode.values()) {
                for (Granularity granularity : Granularity.values()) {
                    all.add(new SageConfig(smooth, granularity, pv));
                }
            }
        }
        return all;
    }

    /** In words, e.g. {@code INT8 QK^T per-block, smoothed K, fp16 PV}. */
    public String describe() {
        return "INT8 QK^T " + granularity.label() + ", " + (smoothK ? "smoothed K" : "K not smoothed") + ", "
                + pvMode.label() + " PV";
    }

    /** Parses a backend name produced by {@link #backendName()}. */
    public static SageConfig parse(String name) {
        String prefix = "cpu-sage-int8-";
        if (!name.startsWith(prefix)) {
            throw new IllegalArgumentException("not a CPU SageAttention variant name: '" + name
                    + "' (expected e.g. cpu-sage-int8-fp16, cpu-sage-int8-fp8-per-thread, cpu-sage-int8-fp16-nosmooth)");
        }
        String rest = name.substring(prefix.length());
        boolean smooth = true;
        if (rest.endsWith(NO_SMOOTH_SUFFIX)) {
            smooth = false;
            rest = rest.substring(0, rest.length() - NO_SMOOTH_SUFFIX.length());
        }
        Granularity granularity = Granularity.PER_BLOCK;
        for (Granularity g : Granularity.values()) {
            if (rest.endsWith("-" + g.label())) {
                granularity = g;
                rest = rest.substring(0, rest.length() - g.label().length() - 1);
            }
        }
        try {
            return new SageConfig(smooth, granularity, PvMode.parse(rest));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad CPU SageAttention variant name '" + name + "': " + e.getMessage(), e);
        }
    }
}
