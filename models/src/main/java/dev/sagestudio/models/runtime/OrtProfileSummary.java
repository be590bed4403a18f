package dev.sagestudio.models.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the time goes inside ONNX Runtime: the profiles its sessions wrote ({@link OrtRuntime#profileSessionsIn}),
 * summed per operator type and execution provider, per run. A partitioned model writes one profile per segment
 * session; their per-run times add up to the ONNX Runtime part of a step.
 */
public record OrtProfileSummary(int profiles, double runMs, List<OpTime> ops) {

    /** One operator type on one execution provider: its kernels' time per run and how many nodes ran it. */
    public record OpTime(String op, String provider, double msPerRun, int nodes) {
    }

    /**
     * Reads every {@code *.json} profile in {@code folder}. Each profile's node kernel times are divided by the number
     * of runs it recorded, so the figures are per run whatever the warm-up count was (warm-up runs included: the first
     * run's one-off costs show up spread over all).
     */
    public static OrtProfileSummary of(Path folder) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, double[]> byOp = new LinkedHashMap<>();
        Map<String, String[]> names = new LinkedHashMap<>();
        double runMs = 0;
        int profiles = 0;
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        for (Path file : files) {
            JsonNode events = json.readTree(file.toFile());
            List<JsonNode> runs = new ArrayList<>();
            List<JsonNode> kernels = new ArrayList<>();
            for (JsonNode e : events) {
                String cat = e.path("cat").asText();
                String name = e.path("name").asText();
                if (cat.equals("Session") && name.equals("model_run")) {
                    runs.add(e);
                } else if (cat.equals("Node") && name.endsWith("_kernel_time")) {
                    kernels.add(e);
                }
            }
            if (runs.isEmpty()) {
                continue; // a session that never ran
            }
            profiles++;
            int count = runs.size();
            runMs += runs.stream().mapToDouble(r -> r.path("dur").asDouble()).sum() / count / 1e3;
            for (JsonNode k : kernels) {
                String op = k.path("args").path("op_name").asText("?");
                String provider = k.path("args").path("provider").asText("?");
                String key = op + "\u0000" + provider;
                names.putIfAbsent(key, new String[] {op, provider});
                double[] sum = byOp.computeIfAbsent(key, x -> new double[2]);
                sum[0] += k.path("dur").asDouble() / count / 1e3;
                sum[1] += 1.0 / count;
            }
        }
        List<OpTime> ops = new ArrayList<>();
        byOp.forEach((key, sum) -> ops.add(new OpTime(names.get(key)[0], names.get(key)[1], sum[0],
                (int) Math.round(sum[1]))));
        ops.sort(Comparator.comparingDouble(OpTime::msPerRun).reversed());
        return new OrtProfileSummary(profiles, runMs, List.copyOf(ops));
    }

    /** The kernels' time per run, all operators together. */
    public double kernelMs() {
        return ops.stream().mapToDouble(OpTime::msPerRun).sum();
    }

    /** A table of the {@code top} most expensive operator types, for a terminal. */
    public String describe(int top) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "ONNX Runtime profile: %d session(s), %.1f ms per run in ONNX Runtime, %.1f ms of it in node kernels%n",
                profiles, runMs, kernelMs()));
        for (OpTime op : ops.subList(0, Math.min(top, ops.size()))) {
            b.append(String.format(Locale.ROOT, "  %-28s %-24s %10.2f ms/run %6d node(s)%n", op.op(), op.provider(),
                    op.msPerRun(), op.nodes()));
        }
        return b.toString();
    }
}
