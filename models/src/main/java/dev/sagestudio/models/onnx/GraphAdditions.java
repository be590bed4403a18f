package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Nodes added to a graph so that a substituted attention finds Q, K and V in a form the backends read
 * (a transposed K turned back, packed QKV split). They are appended after the original nodes, which
 * keep their indices, and produce fresh tensors that nothing else reads. A node may also be replaced in
 * place by nodes computing its output the same way ({@link #replaceScatterBySliceGather}).
 */
final class GraphAdditions {
    private static final String PREFIX = "sagestudio/";

    private final Set<String> taken = new HashSet<>();
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    /** Replacements in place, by the replaced node's first output (unique in a graph). */
    private final java.util.Map<String, List<NodeProto>> replacements = new java.util.HashMap<>();

    GraphAdditions(GraphProto graph) {
        graph.getInputList().forEach(i -> taken.add(i.getName()));
        graph.getInitializerList().forEach(i -> taken.add(i.getName()));
        for (NodeProto node : graph.getNodeList()) {
            taken.addAll(node.getOutputList());
            taken.add(node.getName());
        }
    }

    /** {@code input} with its axes permuted by {@code perm}, as a new tensor. */
    String transpose(String input, List<Long> perm, String hint) {
        String out = fresh(hint);
        AttributeProto.Builder permAttr = AttributeProto.newBuilder().setName("perm")
                .setType(AttributeProto.AttributeType.INTS).addAllInts(perm);
        nodes.add(NodeProto.newBuilder().setOpType("Transpose").setName(fresh(hint + "_transpose"))
                .addInput(input).addOutput(out).addAttribute(permAttr).build());
        return out;
    }

    /** Part {@code part} of a packed [B, N, H, parts, D] tensor, as [B, N, H·D]. */
    String unpackHeads(String packed, long part, String hint) {
        String index = constant(hint + "_part", List.of(), List.of(part));
        String gathered = fresh(hint + "_heads");
        nodes.add(NodeProto.newBuilder().setOpType("Gather").setName(fresh(hint + "_gather")).addInput(packed)
                .addInput(index).addOutput(gathered).addAttribute(AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(3)).build());
        // Reshape's 0 keeps that axis: [B, N, H, D] -> [B, N, H*D].
        String shape = constant(hint + "_flat", List.of(3L), List.of(0L, 0L, -1L));
        String out = fresh(hint);
        nodes.add(NodeProto.newBuilder().setOpType("Reshape").setName(fresh(hint + "_reshape")).addInput(gathered)
                .addInput(shape).addOutput(out).build());
        return out;
    }

    /**
     * {@code scatter} (a ScatterND over whole slices of its data's first axis) replaced, where it stands, by
     * Concat(data, updates) along that axis and a Gather of the slices {@code sliceMap} names from it, writing the
     * same output.
     */
    void replaceScatterBySliceGather(NodeProto scatter, List<Long> sliceMap, String hint) {
        String map = constant(hint + "_slice_map", List.of((long) sliceMap.size()), sliceMap);
        String joined = fresh(hint + "_data_and_updates");
        AttributeProto axis0 = AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                .setI(0).build();
        replacements.put(scatter.getOutput(0), List.of(
                NodeProto.newBuilder().setOpType("Concat").setName(fresh(hint + "_concat")).addInput(scatter.getInput(0))
                        .addInput(scatter.getInput(2)).addOutput(joined).addAttribute(axis0).build(),
                NodeProto.newBuilder().setOpType("Gather").setName(fresh(hint + "_gather")).addInput(joined)
                        .addInput(map).addOutput(scatter.getOutput(0)).addAttribute(axis0).build()));
    }

    /**
     * {@code resize} (a nearest-neighbour upsampling of a 4-D tensor by {@code factor} in height and width) replaced,
     * where it stands, by Concat of factor² copies of its input along the channels and DepthToSpace in DCR order,
     * writing the same output (output channel c at (s·h + i, s·w + j) reads Concat channel (i·s + j)·C + c = input
     * channel c at (h, w)).
     */
    void replaceUpsampleByDepthToSpace(NodeProto resize, int factor, String hint) {
        String copies = fresh(hint + "_copies");
        NodeProto.Builder concat = NodeProto.newBuilder().setOpType("Concat").setName(fresh(hint + "_concat"))
                .addOutput(copies).addAttribute(AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(1));
        for (int i = 0; i < factor * factor; i++) {
            concat.addInput(resize.getInput(0));
        }
        NodeProto depthToSpace = NodeProto.newBuilder().setOpType("DepthToSpace").setName(fresh(hint + "_d2s"))
                .addInput(copies).addOutput(resize.getOutput(0))
                .addAttribute(AttributeProto.newBuilder().setName("blocksize").setType(AttributeProto.AttributeType.INT)
                        .setI(factor))
                .addAttribute(AttributeProto.newBuilder().setName("mode").setType(AttributeProto.AttributeType.STRING)
                        .setS(com.google.protobuf.ByteString.copyFromUtf8("DCR")))
                .build();
        replacements.put(resize.getOutput(0), List.of(concat.build(), depthToSpace));
    }

    private String constant(String hint, List<Long> dims, List<Long> values) {
        String name = fresh(hint);
        initializers.add(TensorProto.newBuilder().setName(name).setDataType(ElementTypes.INT64).addAllDims(dims)
                .addAllInt64Data(values).build());
        return name;
    }

    private String fresh(String hint) {
        String base = PREFIX + hint;
        String name = base;
        for (int i = 1; taken.contains(name); i++) {
            name = base + "_" + i;
        }
        taken.add(name);
        return name;
    }

    boolean isEmpty() {
        return nodes.isEmpty() && replacements.isEmpty();
    }

    /**
     * {@code model} with its replaced nodes swapped for their replacements and the added nodes after its own, or
     * {@code model} itself when nothing was added.
     */
    OnnxModel applyTo(OnnxModel model) {
        if (isEmpty()) {
            return model;
        }
        var proto = model.proto().toBuilder();
        var graph = proto.getGraphBuilder();
        if (!replacements.isEmpty()) {
            List<NodeProto> edited = new ArrayList<>();
            Set<String> readByReplaced = new HashSet<>();
            for (NodeProto node : graph.getNodeList()) {
                List<NodeProto> replacement = node.getOutputCount() == 0 ? null : replacements.get(node.getOutput(0));
                if (replacement == null) {
                    edited.add(node);
                } else {
                    edited.addAll(replacement);
                    readByReplaced.addAll(node.getInputList());
                }
            }
            graph.clearNode().addAllNode(edited);
            // Constants only a replaced node read would make ONNX Runtime warn about an unused initializer.
            Set<String> read = new HashSet<>();
            edited.forEach(n -> read.addAll(n.getInputList()));
            nodes.forEach(n -> read.addAll(n.getInputList()));
            graph.getOutputList().forEach(o -> read.add(o.getName()));
            List<TensorProto> kept = graph.getInitializerList().stream()
                    .filter(t -> !readByReplaced.contains(t.getName()) || read.contains(t.getName())).toList();
            graph.clearInitializer().addAllInitializer(kept);
        }
        graph.addAllNode(nodes).addAllInitializer(initializers);
        return OnnxModel.of(proto.build(), model.folder(), model.source());
    }
}
