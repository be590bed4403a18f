package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.util.Optional;

/**
 * Replaces each {@code ScatterND} that writes whole slices along the first axis at constant positions (indices of
 * shape [K, 1]) by {@code Concat(data, updates)} and a {@code Gather} along the first axis with a constant map: the
 * same values, computed in parallel.
 *
 * <p>Why: ONNX Runtime's CUDA ScatterND gives each index one GPU thread, which copies that index's whole slice alone.
 * PyTorch's exporter writes strided assignments such as {@code out[..., 0::2] = a} (diffusers' rotary embeddings in
 * Wan 2.1) as such ScatterNDs over a transposed tensor: 64 threads copying 168,480 elements each, 120 times per Wan
 * step at 33 frames, which made ONNX Runtime's part of that step 2.6 s on an H100 where PyTorch takes 0.19 s for the
 * whole step. Concat and Gather are elementwise-parallel kernels there.
 *
 * <p>Semantics: where two indices name the same slice the last one wins (ONNX leaves that case undefined). Nodes
 * whose indices are not a small constant, whose first axis is not known, or that use a {@code reduction} are left
 * alone.
 */
public final class SliceScatterRewrite {
    /** A ScatterND with more indices than this is left alone (the map is one int64 per slice of the data). */
    static final int MAX_SLICES = 1 << 20;

    /** The rewritten model and what was done, e.g. {@code "2 ScatterND -> Concat + Gather"}. */
    public record Result(OnnxModel model, int rewritten) {
        public Optional<String> describe() {
            return rewritten == 0 ? Optional.empty()
                    : Optional.of(rewritten + " ScatterND over whole slices -> Concat + Gather (ONNX Runtime's CUDA"
                    + " ScatterND copies each slice with one thread)");
        }
    }

    private SliceScatterRewrite() {
    }

    public static Result apply(OnnxModel model) {
        GraphProto graph = model.graph();
        if (graph.getNodeList().stream().noneMatch(n -> n.getOpType().equals("ScatterND"))) {
            return new Result(model, 0);
        }
        ConstantValues constants = new ConstantValues(graph, model.folder());
        ValueTable values = new ValueTable(graph);
        GraphAdditions edits = new GraphAdditions(graph);
        int rewritten = 0;
        for (NodeProto node : graph.getNodeList()) {
            Optional<long[]> map = sliceMap(node, constants, values);
            if (map.isPresent()) {
                rewritten++;
                edits.replaceScatterBySliceGather(node, java.util.Arrays.stream(map.get()).boxed().toList(),
                        "scatter_" + (node.getName().isEmpty() ? node.getOutput(0) : node.getName()));
            }
        }
        OnnxModel changed = edits.applyTo(model);
        return new Result(changed, rewritten);
    }

    /**
     * For a ScatterND this rewrite takes: for each slice of the output along the first axis, the slice of
     * Concat(data, updates) it comes from. Its indices must be a constant, in the file or in its external data
     * (torch's exporter writes every initializer there, the 64 indices of a rotary embedding included).
     */
    private static Optional<long[]> sliceMap(NodeProto node, ConstantValues constants, ValueTable values) {
        if (!node.getOpType().equals("ScatterND") || !OnnxModel.normalizeDomain(node.getDomain()).isEmpty()
                || node.getInputCount() != 3 || node.getOutputCount() != 1) {
            return Optional.empty();
        }
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("reduction") && !a.getS().toStringUtf8().equals("none")) {
                return Optional.empty();
            }
        }
        Optional<ConstantValues.Constant> indices;
        try {
            indices = constants.get(node.getInput(1), MAX_SLICES);
        } catch (OnnxModelException e) {
            return Optional.empty(); // ONNX Runtime will say what is wrong with the data file when it loads it
        }
        Optional<Long> slices = values.get(node.getInput(0)).filter(d -> d.rank() >= 1).flatMap(d -> d.dim(0));
        if (indices.isEmpty() || slices.isEmpty() || indices.get().dims().length != 2 || indices.get().dims()[1] != 1
                || slices.get() < 1 || slices.get() > MAX_SLICES) {
            return Optional.empty();
        }
        int count = (int) (long) slices.get();
        long[] map = new long[count];
        for (int r = 0; r < count; r++) {
            map[r] = r;
        }
        double[] at = indices.get().values();
        for (int j = 0; j < at.length; j++) {
            long index = (long) at[j];
            if (index != at[j] || index < -count || index >= count) {
                return Optional.empty(); // out of range: ONNX Runtime's own handling stays in charge
            }
            map[(int) (index < 0 ? index + count : index)] = count + j;
        }
        return Optional.of(map);
    }
}
