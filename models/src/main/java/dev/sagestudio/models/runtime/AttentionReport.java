package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.UnmatchedAttention;
import dev.sagestudio.models.onnx.ValueTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * For each attention node: its Q/K/V shapes and who runs it. Shapes come from the file's
 * declarations where complete, otherwise from a probe run of the whole graph in ONNX Runtime with
 * generated inputs (see {@link RandomInputs}).
 */
public final class AttentionReport {

    /** One line of the report. */
    public record Entry(AttentionNode node, String q, String k, String v, String shapeSource,
                        Optional<AttentionShape> shape, String runBy) {
    }

    private AttentionReport() {
    }

    /**
     * Builds the report. {@code probe} may be null to use declarations only.
     *
     * @param dims values for symbolic dimensions in the probe run
     */
    public static List<Entry> build(PartitionPlan plan, AttentionBackend backend, OrtRuntime probe,
                                    Map<String, Long> dims) {
        OnnxModel model = plan.model();
        ValueTable declared = new ValueTable(model.graph());
        Map<String, long[]> probed = new HashMap<>();
        Map<String, Integer> probedTypes = new HashMap<>();
        String probeFailure = null;
        if (probe != null && !plan.attentionNodes().isEmpty()) {
            Set<String> wanted = new LinkedHashSet<>();
            for (AttentionNode node : plan.attentionNodes()) {
                wanted.addAll(List.of(node.query(), node.key(), node.value()));
            }
            wanted.removeIf(name -> isComplete(declared.get(name)));
            if (!wanted.isEmpty()) {
                try (WholeModel whole = WholeModel.open(model, probe, List.copyOf(wanted))) {
                    RunResult result = whole.run(RandomInputs.forModel(model, whole.inputNames(), dims, 1));
                    for (String name : wanted) {
                        HostArray array = result.outputs().get(name);
                        probed.put(name, array.shape());
                        probedTypes.put(name, array.elemType());
                    }
                } catch (RuntimeException e) {
                    probeFailure = "probe run failed: " + e.getMessage();
                }
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (AttentionNode node : plan.attentionNodes()) {
            String[] names = {node.query(), node.key(), node.value()};
            String[] text = new String[3];
            long[][] shapes = new long[3][];
            int elemType = 0;
            boolean allProbed = true;
            boolean allDeclared = true;
            for (int i = 0; i < 3; i++) {
                Optional<ValueTable.Declared> d = declared.get(names[i]);
                if (isComplete(d)) {
                    shapes[i] = d.get().dims().stream().mapToLong(Long::parseLong).toArray();
                    elemType = d.get().elemType();
                    text[i] = d.get().describe();
                    allProbed = false;
                } else if (probed.containsKey(names[i])) {
                    shapes[i] = probed.get(names[i]);
                    elemType = probedTypes.get(names[i]);
                    text[i] = ElementTypes.label(elemType) + " " + Arrays.toString(shapes[i]);
                    allDeclared = false;
                } else {
                    text[i] = d.map(ValueTable.Declared::describe).orElse("unknown");
                    allDeclared = false;
                    allProbed = false;
                }
            }
            boolean known = shapes[0] != null && shapes[1] != null && shapes[2] != null;
            String source = !known ? (probeFailure != null ? probeFailure : "not declared (no probe run)")
                    : allDeclared ? "declared" : allProbed ? "probe run" : "declared + probe run";
            Optional<AttentionShape> shape = Optional.empty();
            String runBy;
            if (!node.substituted()) {
                runBy = "ONNX Runtime: " + node.keptReason().get();
            } else if (known) {
                try {
                    AttentionShape s = HostAttentionStep.shapeOf(node, elemType, shapes[0], shapes[1], shapes[2]);
                    shape = Optional.of(s);
                    Optional<String> why = backend.unsupportedReason(s);
                    runBy = why.map(w -> "CANNOT RUN with " + backend.name() + ": " + w).orElse(backend.name());
                } catch (AttentionStepException e) {
                    runBy = "CANNOT RUN: " + e.getMessage();
                }
            } else {
                runBy = backend.name() + " (shape checked when it runs)";
            }
            entries.add(new Entry(node, text[0], text[1], text[2], source, shape, runBy));
        }
        return entries;
    }

    private static boolean isComplete(Optional<ValueTable.Declared> d) {
        if (d.isEmpty() || !d.get().hasShape() || d.get().elemType() == 0) {
            return false;
        }
        for (int i = 0; i < d.get().rank(); i++) {
            if (d.get().dim(i).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** The report as text, one block per attention, then what looked like attention but did not match. */
    public static String format(List<Entry> entries, List<UnmatchedAttention> unmatched) {
        StringBuilder out = new StringBuilder();
        if (entries.isEmpty()) {
            out.append("no attention found (Attention opset 23+, com.microsoft::MultiHeadAttention, or MatMul → Softmax"
                    + " → MatMul)\n");
        }
        for (Entry e : entries) {
            out.append(e.node().label()).append(e.node().causal() ? " (causal)" : "").append('\n');
            out.append("  pattern: ").append(e.node().pattern()).append('\n');
            out.append("  Q ").append(e.node().query()).append(": ").append(e.q()).append('\n');
            out.append("  K ").append(e.node().key()).append(": ").append(e.k()).append('\n');
            out.append("  V ").append(e.node().value()).append(": ").append(e.v()).append('\n');
            out.append("  shapes from: ").append(e.shapeSource()).append('\n');
            e.shape().ifPresent(s -> out.append("  attention: ").append(s.describe()).append('\n'));
            out.append("  run by: ").append(e.runBy()).append('\n');
        }
        for (UnmatchedAttention miss : unmatched) {
            out.append("looks like attention but not matched: ").append(miss.label()).append(": ").append(miss.reason())
                    .append("; ONNX Runtime runs it as written\n");
        }
        return out.toString();
    }
}
