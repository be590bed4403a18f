package dev.sagestudio.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.attention.cpu.AttentionInputs;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.cpu.PvMode;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.cpu.SageConfig;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Prints how close every CPU SageAttention variant comes to the exact float64 reference, on
 * seeded random inputs of chosen shapes and distributions: cosine similarity, relative L1, RMSE and
 * maximum absolute error (see {@link AccuracyMetrics}). After the table it states, from the numbers
 * just computed, what K smoothing and the PV precision did.
 */
@Command(name = "accuracy", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Compares every CPU SageAttention variant (K smoothing on/off, INT8 granularity per block, warp or"
                    + " thread, PV in FP16, FP16 accumulation, FP8 or INT8) with the exact float64 reference.",
            "Runs on the CPU only; the defaults take well under a minute on two cores."})
public final class AccuracyCommand implements Callable<Integer> {

    /** Output formats. */
    public enum Format { text, markdown, json }

    @Spec
    CommandSpec spec;

    @Option(names = "--seq-len", paramLabel = "N", description = "Query and key/value tokens (default: ${DEFAULT-VALUE}).")
    int seqLen = 1024;

    @Option(names = "--kv-len", paramLabel = "N", description = "Key/value tokens, if different from --seq-len.")
    Integer kvLen;

    @Option(names = "--head-dim", paramLabel = "D", description = "Head dimension; the quantized variants support 64 and 128 (default: ${DEFAULT-VALUE}).")
    int headDim = 128;

    @Option(names = "--heads", paramLabel = "H", description = "Query heads (default: ${DEFAULT-VALUE}).")
    int heads = 2;

    @Option(names = "--kv-heads", paramLabel = "H", description = "Key/value heads for grouped-query attention (default: same as --heads).")
    Integer kvHeads;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch = 1;

    @Option(names = "--causal", description = "Causal mask, aligned to the top left (default: off).")
    boolean causal;

    @Option(names = "--distribution", split = ",", paramLabel = "NAME",
            description = "Input distributions, comma-separated: normal, biased-k, outliers (default: all).")
    List<String> distributions = List.of("normal", "biased-k", "outliers");

    @Option(names = "--variant", split = ",", paramLabel = "BACKEND",
            description = "Emulator variants to compare, e.g. cpu-sage-int8-fp8-per-thread (default: the standard set).")
    List<String> variants;

    @Option(names = "--dtype", paramLabel = "TYPE", description = "Input dtype: fp32, fp16 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype = "fp16";

    @Option(names = "--seed", description = "Random seed for the inputs (default: ${DEFAULT-VALUE}).")
    long seed = 20241;

    @Option(names = "--format", description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format = Format.text;

    /** One row of the table. */
    public record Row(String distribution, String backend, String smoothing, String granularity, String pv,
                      AccuracyMetrics metrics, long millis, String unsupported) {}

    @Override
    public Integer call() {
        validate();
        DType type = parseDType(dtype);
        List<InputDistribution> dists = distributions.stream().map(this::parseDistribution).toList();
        List<SageConfig> configs = variants == null ? SageConfig.reportVariants()
                : variants.stream().map(this::parseVariant).toList();
        int kvTokens = kvLen == null ? seqLen : kvLen;
        int kvHeadCount = kvHeads == null ? heads : kvHeads;

        List<Row> rows = new ArrayList<>();
        for (InputDistribution distribution : dists) {
            AttentionInputs inputs = AttentionInputs.generate(distribution, batch, heads, kvHeadCount, seqLen, kvTokens,
                    headDim, type, Layout.HND, seed);
            AttentionRequest request = inputs.request(causal);
            long start = System.nanoTime();
            ReferenceAttention reference = new ReferenceAttention();
            double[] exact = reference.computeExact(request);
            long referenceMillis = elapsed(start);
            // The reference's own row shows the floor every backend shares: rounding O to the dtype.
            float[] rounded = new float[exact.length];
            for (int i = 0; i < exact.length; i++) {
                rounded[i] = type.round((float) exact[i]);
            }
            rows.add(new Row(distribution.label(), reference.name(), "-", "-", "fp64",
                    AccuracyMetrics.compare(exact, rounded), referenceMillis, null));
            for (SageConfig config : configs) {
                SageAttentionEmulator emulator = new SageAttentionEmulator(config);
                start = System.nanoTime();
                AccuracyMetrics metrics = null;
                String unsupported = null;
                try {
                    metrics = AccuracyMetrics.compare(exact, emulator.compute(request).toArray());
                } catch (UnsupportedAttentionException e) {
                    unsupported = e.reason();
                }
                rows.add(new Row(distribution.label(), emulator.name(), config.smoothK() ? "on" : "off",
                        config.granularity().label(), config.pvMode().label(), metrics, elapsed(start), unsupported));
            }
        }

        PrintWriter out = spec.commandLine().getOut();
        String title = String.format(Locale.ROOT, "Attention accuracy vs float64 reference: B=%d Hq=%d Hkv=%d Nq=%d Nkv=%d D=%d"
                + " %s%s, seed %d", batch, heads, kvHeadCount, seqLen, kvTokens, headDim, type.label(),
                causal ? " causal" : "", seed);
        switch (format) {
            case text -> printText(out, title, rows);
            case markdown -> printMarkdown(out, title, rows);
            case json -> printJson(out, rows);
            default -> throw new IllegalStateException("unhandled format " + format);
        }
        out.flush();
        return 0;
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private void validate() {
        requirePositive("--seq-len", seqLen);
        requirePositive("--head-dim", headDim);
        requirePositive("--heads", heads);
        requirePositive("--batch", batch);
        if (kvLen != null) {
            requirePositive("--kv-len", kvLen);
        }
        if (kvHeads != null) {
            requirePositive("--kv-heads", kvHeads);
            if (heads % kvHeads != 0) {
                throw new ParameterException(spec.commandLine(), "--heads (" + heads
                        + ") must be a multiple of --kv-heads (" + kvHeads + ")");
            }
        }
        long elements = (long) batch * heads * Math.max(seqLen, kvLen == null ? seqLen : kvLen) * headDim;
        if (elements > 64L * 1024 * 1024) {
            throw new ParameterException(spec.commandLine(), "shape too large for the CPU accuracy report ("
                    + elements + " elements per tensor; the limit is 67108864)");
        }
    }

    private void requirePositive(String option, int value) {
        if (value <= 0) {
            throw new ParameterException(spec.commandLine(), option + " must be positive, got " + value);
        }
    }

    private DType parseDType(String text) {
        for (DType t : DType.values()) {
            if (t.label().equalsIgnoreCase(text)) {
                return t;
            }
        }
        throw new ParameterException(spec.commandLine(), "unknown --dtype '" + text + "'; expected fp32, fp16 or bf16");
    }

    private InputDistribution parseDistribution(String text) {
        try {
            return InputDistribution.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private SageConfig parseVariant(String text) {
        try {
            return SageConfig.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        return String.format(Locale.ROOT, "%.3e", value);
    }

    private static String cosine(double value) {
        return Double.isNaN(value) ? "NaN" : String.format(Locale.ROOT, "%.6f", value);
    }

    private static String[] cells(Row row) {
        AccuracyMetrics m = row.metrics();
        if (m == null) {
            return new String[] {row.distribution(), row.backend(), row.smoothing(), row.granularity(), row.pv(),
                "unsupported: " + row.unsupported(), "", "", "", ""};
        }
        return new String[] {row.distribution(), row.backend(), row.smoothing(), row.granularity(), row.pv(),
            cosine(m.cosineSimilarity()), String.format(Locale.ROOT, "%.5f", m.relativeL1()), number(m.rmse()),
            number(m.maxAbsError()), Long.toString(row.millis())};
    }

    private static final String[] HEADER = {"distribution", "backend", "smooth K", "Q/K granularity", "PV", "cosine",
        "rel L1", "RMSE", "max abs", "ms"};

    private static void printText(PrintWriter out, String title, List<Row> rows) {
        List<String[]> table = new ArrayList<>();
        table.add(HEADER);
        rows.forEach(r -> table.add(cells(r)));
        int[] widths = new int[HEADER.length];
        for (String[] line : table) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        out.println(title);
        out.println();
        for (int t = 0; t < table.size(); t++) {
            String[] line = table.get(t);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                boolean numeric = i >= 5;
                String cell = numeric ? pad(line[i], widths[i], true) : pad(line[i], widths[i], false);
                sb.append(i == 0 ? "" : "  ").append(cell);
            }
            out.println(sb.toString().stripTrailing());
            if (t == 0) {
                out.println("-".repeat(sb.toString().stripTrailing().length()));
            }
        }
        out.println();
        findings(rows).forEach(out::println);
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }

    private static void printMarkdown(PrintWriter out, String title, List<Row> rows) {
        out.println("**" + title + "**");
        out.println();
        out.println("| " + String.join(" | ", HEADER) + " |");
        StringBuilder rule = new StringBuilder("|");
        for (int i = 0; i < HEADER.length; i++) {
            rule.append(i >= 5 ? "---:|" : "---|");
        }
        out.println(rule);
        for (Row row : rows) {
            out.println("| " + String.join(" | ", cells(row)) + " |");
        }
        out.println();
        findings(rows).forEach(line -> out.println("- " + line));
    }

    private void printJson(PrintWriter out, List<Row> rows) {
        List<Map<String, Object>> records = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("distribution", row.distribution());
            record.put("backend", row.backend());
            record.put("smooth_k", row.smoothing());
            record.put("granularity", row.granularity());
            record.put("pv", row.pv());
            record.put("batch", batch);
            record.put("heads", heads);
            record.put("kv_heads", kvHeads == null ? heads : kvHeads);
            record.put("seq_len", seqLen);
            record.put("kv_len", kvLen == null ? seqLen : kvLen);
            record.put("head_dim", headDim);
            record.put("dtype", dtype.toLowerCase(Locale.ROOT));
            record.put("causal", causal);
            record.put("seed", seed);
            if (row.metrics() == null) {
                record.put("unsupported", row.unsupported());
            } else {
                record.put("cosine", jsonNumber(row.metrics().cosineSimilarity()));
                record.put("rel_l1", jsonNumber(row.metrics().relativeL1()));
                record.put("rmse", jsonNumber(row.metrics().rmse()));
                record.put("max_abs", jsonNumber(row.metrics().maxAbsError()));
            }
            record.put("millis", row.millis());
            records.add(record);
        }
        try {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(records));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** JSON has no NaN or infinity: those become their names as strings, so nothing is silently lost. */
    private static Object jsonNumber(double value) {
        return Double.isFinite(value) ? (Object) value : Double.toString(value);
    }

    /**
     * Sentences stating, per distribution, what the computed numbers show: the effect of K smoothing
     * and how INT8 PV compares with FP16 and FP8 PV (derived from the rows, nothing fixed in advance).
     */
    static List<String> findings(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        for (String distribution : rows.stream().map(Row::distribution).distinct().toList()) {
            Optional<AccuracyMetrics> smooth = find(rows, distribution, new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP16));
            Optional<AccuracyMetrics> plain = find(rows, distribution, new SageConfig(false, Granularity.PER_BLOCK, PvMode.FP16));
            Optional<AccuracyMetrics> fp8 = find(rows, distribution, new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP8));
            Optional<AccuracyMetrics> int8 = find(rows, distribution, new SageConfig(true, Granularity.PER_BLOCK, PvMode.INT8));
            if (smooth.isPresent() && plain.isPresent()) {
                lines.add(String.format(Locale.ROOT, "%s: K smoothing (INT8 QK per block, FP16 PV): cosine %s without,"
                        + " %s with; rel L1 %.4f -> %.4f", distribution, cosine(plain.get().cosineSimilarity()),
                        cosine(smooth.get().cosineSimilarity()), plain.get().relativeL1(), smooth.get().relativeL1()));
            }
            if (smooth.isPresent() && fp8.isPresent() && int8.isPresent()) {
                lines.add(String.format(Locale.ROOT, "%s: PV precision (smoothed, per block): rel L1 FP16 %.4f, FP8 %.4f,"
                        + " INT8 %.4f (INT8 is %.1fx FP16's error, %.1fx FP8's)", distribution,
                        smooth.get().relativeL1(), fp8.get().relativeL1(), int8.get().relativeL1(),
                        int8.get().relativeL1() / smooth.get().relativeL1(), int8.get().relativeL1() / fp8.get().relativeL1()));
            }
        }
        return lines;
    }

    private static Optional<AccuracyMetrics> find(List<Row> rows, String distribution, SageConfig config) {
        String name = config.backendName();
        return rows.stream().filter(r -> r.distribution().equals(distribution) && r.backend().equals(name)
                && r.metrics() != null).map(Row::metrics).findFirst();
    }
}
