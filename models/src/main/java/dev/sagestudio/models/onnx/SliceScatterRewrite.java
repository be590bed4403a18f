package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
        ConstantValues constants = new ConstantValues(graph);
        ValueTable values = new ValueTable(graph);
        Set<String> taken = new HashSet<>();
        graph.getInputList().forEach(i -> taken.add(i.getName()));
        graph.getInitializerList().forEach(i -> taken.add(i.getName()));
        graph.getNodeList().forEach(n -> {
            taken.addAll(n.getOutputList());
            taken.add(n.getName());
        });
        GraphProto.Builder out = graph.toBuilder().clearNode();
        int rewritten = 0;
        Set<String> replacedIndices = new HashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            Optional<long[]> map = sliceMap(node, indicesOf(node, graph, constants, model), values);
            if (map.isEmpty()) {
                out.addNode(node);
                continue;
            }
            String base = fresh(taken, "sagestudio/scatter_" + (node.getName().isEmpty() ? node.getOutput(0)
                    : node.getName()));
            String joined = fresh(taken, base + "/data_and_updates");
            String mapName = fresh(taken, base + "/slice_map");
            out.addInitializer(int64Tensor(mapName, map.get()));
            out.addNode(NodeProto.newBuilder().setOpType("Concat").setName(fresh(taken, base + "/concat"))
                    .addInput(node.getInput(0)).addInput(node.getInput(2)).addOutput(joined)
                    .addAttribute(intAttribute("axis", 0)));
            out.addNode(NodeProto.newBuilder().setOpType("Gather").setName(fresh(taken, base + "/gather"))
                    .addInput(joined).addInput(mapName).addOutput(node.getOutput(0))
                    .addAttribute(intAttribute("axis", 0)));
            replacedIndices.add(node.getInput(1));
            rewritten++;
        }
        if (rewritten == 0) {
            return new Result(model, 0);
        }
        // The indices no node reads any more would only make ONNX Runtime warn.
        Set<String> read = new HashSet<>();
        out.getNodeList().forEach(n -> read.addAll(n.getInputList()));
        out.getOutputList().forEach(o -> read.add(o.getName()));
        List<TensorProto> kept = out.getInitializerList().stream()
                .filter(t -> !replacedIndices.contains(t.getName()) || read.contains(t.getName())).toList();
        out.clearInitializer().addAllInitializer(kept);
        OnnxModel changed = OnnxModel.of(model.proto().toBuilder().setGraph(out).build(), model.folder(),
                model.source());
        return new Result(changed, rewritten);
    }

    /**
     * For a ScatterND this rewrite takes: for each slice of the output along the first axis, the slice of
     * Concat(data, updates) it comes from.
     */
    /**
     * A ScatterND's indices if they are a constant: in the file, or in its external data (torch's exporter writes
     * every initializer there, the 64 indices of a rotary embedding included).
     */
    private static Optional<ConstantValues.Constant> indicesOf(NodeProto node, GraphProto graph,
                                                               ConstantValues constants, OnnxModel model) {
        if (!node.getOpType().equals("ScatterND") || node.getInputCount() < 2) {
            return Optional.empty();
        }
        String name = node.getInput(1);
        Optional<ConstantValues.Constant> inFile = constants.get(name, MAX_SLICES);
        if (inFile.isPresent()) {
            return inFile;
        }
        for (TensorProto t : graph.getInitializerList()) {
            if (t.getName().equals(name) && ExternalData.isExternal(t) && t.getDataType() == ElementTypes.INT64
                    && t.getDimsCount() == 2 && t.getDims(1) == 1 && t.getDims(0) <= MAX_SLICES) {
                ExternalData.Location at = ExternalData.locate(t, model.folder());
                byte[] bytes = new byte[(int) (8 * t.getDims(0))];
                try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(at.file())) {
                    ByteBuffer target = ByteBuffer.wrap(bytes);
                    while (target.hasRemaining()) {
                        if (file.read(target, at.offset() + target.position()) < 0) {
                            return Optional.empty();
                        }
                    }
                } catch (java.io.IOException e) {
                    return Optional.empty(); // ONNX Runtime will say what is wrong with the file when it loads it
                }
                return ConstantValues.read(t.toBuilder().clearExternalData()
                        .setDataLocation(TensorProto.DataLocation.DEFAULT)
                        .setRawData(com.google.protobuf.ByteString.copyFrom(bytes)).build());
            }
        }
        return Optional.empty();
    }

    private static Optional<long[]> sliceMap(NodeProto node, Optional<ConstantValues.Constant> indices,
                                             ValueTable values) {
        if (!node.getOpType().equals("ScatterND") || !OnnxModel.normalizeDomain(node.getDomain()).isEmpty()
                || node.getInputCount() != 3 || node.getOutputCount() != 1) {
            return Optional.empty();
        }
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("reduction") && !a.getS().toStringUtf8().equals("none")) {
                return Optional.empty();
            }
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

    private static String fresh(Set<String> taken, String hint) {
        String name = hint;
        for (int i = 1; !taken.add(name); i++) {
            name = hint + "_" + i;
        }
        return name;
    }

    private static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static TensorProto int64Tensor(String name, long[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            bytes.putLong(v);
        }
        bytes.flip();
        return TensorProto.newBuilder().setName(name).setDataType(ElementTypes.INT64).addDims(values.length)
                .setRawData(com.google.protobuf.ByteString.copyFrom(bytes)).build();
    }
}
