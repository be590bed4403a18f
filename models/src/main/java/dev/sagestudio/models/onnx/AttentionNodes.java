package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Finds attention nodes in a model's main graph and decides which of them SageStudio runs.
 *
 * <p>Runs: plain scaled-dot-product attention, causal or not, with grouped-query heads, in the
 * 4-D ([B, H, N, D]) or 3-D ([B, N, H·D]) form, fp32/fp16/bf16. Kept in ONNX Runtime, with the
 * reason: attention masks or biases, past key/value caches, padding lengths, softcap, extra outputs
 * (present key/value, QK matmul output), projection bias, packed QKV, V with another head size,
 * other element types.
 */
public final class AttentionNodes {
    /** First ai.onnx opset with the standard Attention operator. */
    public static final int FIRST_ATTENTION_OPSET = 23;

    private static final String[] ONNX_OPTIONAL_INPUTS = {null, null, null, "an attention mask (attn_mask)",
        "a past key cache (past_key)", "a past value cache (past_value)", "padding lengths (nonpad_kv_seqlen)"};
    private static final String[] ONNX_EXTRA_OUTPUTS = {null, "present_key", "present_value", "qk_matmul_output"};
    private static final String[] MHA_OPTIONAL_INPUTS = {null, null, null, "a projection bias (bias)",
        "a key padding mask (key_padding_mask)", "an attention bias (attention_bias)", "a past key cache (past_key)",
        "a past value cache (past_value)", "a past sequence length", "a cache indirection"};
    private static final String[] MHA_EXTRA_OUTPUTS = {null, "present_key", "present_value", "qk output"};

    private AttentionNodes() {
    }

    /**
     * Every attention of the main graph, in node order, each with its decision: attention operators and
     * attention written out as MatMul → Softmax → MatMul (see {@link DecomposedAttention}).
     */
    public static List<AttentionNode> find(OnnxModel model) {
        return scan(model).attention();
    }

    /**
     * Finds every attention of the main graph and what looked like attention but did not match. Where a
     * substituted attention needs its inputs in another form (packed QKV split, K transposed back), the
     * nodes that produce them are added to the returned {@link AttentionScan#model()}; the original
     * nodes keep their indices.
     */
    public static AttentionScan scan(OnnxModel model) {
        GraphProto graph = model.graph();
        ValueTable values = new ValueTable(graph);
        GraphAdditions additions = new GraphAdditions(graph);
        List<AttentionNode> found = new ArrayList<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            classify(model, values, graph.getNode(i), i, additions).ifPresent(found::add);
        }
        DecomposedAttention decomposed = new DecomposedAttention(model, values, additions);
        found.addAll(decomposed.matches());
        found.sort(java.util.Comparator.comparingInt(AttentionNode::nodeIndex));
        List<UnmatchedAttention> unmatched = new ArrayList<>(unsupportedFusedAttention(graph));
        unmatched.addAll(decomposed.unmatched());
        unmatched.sort(java.util.Comparator.comparingInt(UnmatchedAttention::nodeIndex));
        return new AttentionScan(additions.applyTo(model), List.copyOf(found), List.copyOf(unmatched));
    }

    /** ONNX Runtime's fused attention operators other than MultiHeadAttention, and why none is taken. */
    private static final java.util.Map<String, String> UNSUPPORTED_FUSED = java.util.Map.of(
            "Attention", "it includes the Q/K/V projection (input weights); SageStudio takes attention on"
                    + " projected Q, K and V only",
            "GroupQueryAttention", "it carries a key/value cache and rotary embedding for decoding",
            "PackedAttention", "it runs on padding-removed (packed) token batches",
            "PackedMultiHeadAttention", "it runs on padding-removed (packed) token batches",
            "DecoderMaskedMultiHeadAttention", "it is a decoding step with a key/value cache",
            "SparseAttention", "it uses a block-sparse layout");

    private static List<UnmatchedAttention> unsupportedFusedAttention(GraphProto graph) {
        List<UnmatchedAttention> found = new ArrayList<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            String reason = UNSUPPORTED_FUSED.get(node.getOpType());
            if (reason != null && node.getDomain().equals("com.microsoft")) {
                found.add(new UnmatchedAttention(i, node.getName(), "com.microsoft::" + node.getOpType(), reason));
            }
        }
        return found;
    }

    /** The attention node {@code node} is, with its decision, or empty if it is no attention op. */
    static Optional<AttentionNode> classify(OnnxModel model, ValueTable values, NodeProto node, int index,
                                            GraphAdditions additions) {
        String domain = OnnxModel.normalizeDomain(node.getDomain());
        if (node.getOpType().equals(AttentionOp.ONNX_ATTENTION.opType()) && domain.isEmpty()) {
            return Optional.of(classifyOnnx(model, values, node, index));
        }
        if (node.getOpType().equals(AttentionOp.MS_MULTI_HEAD_ATTENTION.opType())
                && domain.equals(AttentionOp.MS_MULTI_HEAD_ATTENTION.domain())) {
            return Optional.of(classifyMha(values, node, index, additions));
        }
        return Optional.empty();
    }

    private static AttentionNode classifyOnnx(OnnxModel model, ValueTable values, NodeProto node, int index) {
        int qHeads = (int) intAttr(node, "q_num_heads", 0);
        int kvHeads = (int) intAttr(node, "kv_num_heads", 0);
        boolean causal = intAttr(node, "is_causal", 0) != 0;
        OptionalDouble scale = floatAttr(node, "scale");
        long opset = model.opsetVersion(OnnxModel.DEFAULT_DOMAIN);
        AttentionNode found = new AttentionNode(index, node.getName(), AttentionOp.ONNX_ATTENTION, input(node, 0),
                input(node, 1), input(node, 2), output(node, 0), qHeads, kvHeads, causal, scale, Optional.empty(),
                "Attention operator (ai.onnx opset " + opset + ")", List.of(index));
        if (opset < FIRST_ATTENTION_OPSET) {
            return found.keptBecause("the model imports ai.onnx opset " + opset + "; the standard Attention operator"
                    + " needs opset " + FIRST_ATTENTION_OPSET + " or later");
        }
        if (node.getInputCount() < 3 || input(node, 0).isEmpty()) {
            return found.keptBecause("it has fewer than the three inputs Q, K and V");
        }
        Optional<String> common = commonChecks(node, ONNX_OPTIONAL_INPUTS, ONNX_EXTRA_OUTPUTS);
        if (common.isPresent()) {
            return found.keptBecause(common.get());
        }
        OptionalDouble softcap = floatAttr(node, "softcap");
        if (softcap.isPresent() && softcap.getAsDouble() != 0) {
            return found.keptBecause("it applies softcap " + softcap.getAsDouble());
        }
        if ((qHeads == 0) != (kvHeads == 0)) {
            return found.keptBecause("it sets only one of q_num_heads and kv_num_heads");
        }
        if (qHeads < 0 || kvHeads < 0 || (kvHeads > 0 && qHeads % kvHeads != 0)) {
            return found.keptBecause("q_num_heads (" + qHeads + ") is not a positive multiple of kv_num_heads ("
                    + kvHeads + ")");
        }
        return shapeChecks(found, values, qHeads == 0);
    }

    private static AttentionNode classifyMha(ValueTable values, NodeProto node, int index, GraphAdditions additions) {
        int heads = (int) intAttr(node, "num_heads", 0);
        boolean causal = intAttr(node, "unidirectional", 0) != 0;
        OptionalDouble scale = floatAttr(node, "scale");
        if (scale.isPresent() && scale.getAsDouble() == 0) {
            scale = OptionalDouble.empty(); // ONNX Runtime treats scale 0 as "use the default"
        }
        String pattern = AttentionOp.MS_MULTI_HEAD_ATTENTION.label();
        AttentionNode found = new AttentionNode(index, node.getName(), AttentionOp.MS_MULTI_HEAD_ATTENTION,
                input(node, 0), input(node, 1), input(node, 2), output(node, 0), heads, heads, causal, scale,
                Optional.empty(), pattern, List.of(index));
        if (heads <= 0) {
            return found.keptBecause("num_heads is missing or not positive");
        }
        if (found.query().isEmpty()) {
            return found.keptBecause("it has no query input");
        }
        Optional<String> common = commonChecks(node, MHA_OPTIONAL_INPUTS, MHA_EXTRA_OUTPUTS);
        if (common.isEmpty() && !causal && (found.key().isEmpty() || found.value().isEmpty())) {
            Optional<String> packedProblem = packedRankProblem(values, found);
            if (packedProblem.isPresent()) {
                return found.keptBecause(packedProblem.get());
            }
            // Packed [B, N, H, 3, D] (QKV in query) or [B, M, H, 2, D] (KV in key): each part is taken out by
            // an added Gather on axis 3 and flattened to the [B, N, H*D] form the backends read.
            if (found.key().isEmpty()) {
                String q = additions.unpackHeads(found.query(), 0, "q");
                String k = additions.unpackHeads(found.query(), 1, "k");
                String v = additions.unpackHeads(found.query(), 2, "v");
                found = found.withInputs(q, k, v, pattern + " with packed QKV [B, N, H, 3, D] (split by added"
                        + " Gather + Reshape nodes)");
            } else {
                String k = additions.unpackHeads(found.key(), 0, "k");
                String v = additions.unpackHeads(found.key(), 1, "v");
                found = found.withInputs(found.query(), k, v, pattern + " with packed KV [B, M, H, 2, D] (split by"
                        + " added Gather + Reshape nodes)");
            }
        }
        if (common.isPresent()) {
            return found.keptBecause(common.get());
        }
        if (causal) {
            // ONNX Runtime aligns MultiHeadAttention's causal mask to the bottom right when the
            // lengths differ; our backends align to the top left, so only plain attention is taken.
            return found.keptBecause("it is unidirectional (causal); SageStudio substitutes only non-causal"
                    + " MultiHeadAttention");
        }
        for (String name : List.of(found.query(), found.key(), found.value())) {
            Optional<ValueTable.Declared> declared = values.get(name);
            if (declared.isPresent() && declared.get().hasShape() && declared.get().rank() != 3) {
                return found.keptBecause("input '" + name + "' has rank " + declared.get().rank()
                        + "; only the 3-D [B, N, H*D] form is substituted");
            }
        }
        return shapeChecks(found, values, false);
    }

    /** Packed inputs must be 5-D where the file declares them: [B, N, H, 3, D] or [B, M, H, 2, D]. */
    private static Optional<String> packedRankProblem(ValueTable values, AttentionNode node) {
        boolean packedQkv = node.key().isEmpty();
        String packed = packedQkv ? node.query() : node.key();
        if (!packedQkv && !node.value().isEmpty()) {
            return Optional.empty();
        }
        if (packedQkv && !node.value().isEmpty()) {
            return Optional.of("it has a value input but no key input");
        }
        Optional<ValueTable.Declared> declared = values.get(packed);
        if (declared.isPresent() && declared.get().hasShape()) {
            long parts = packedQkv ? 3 : 2;
            if (declared.get().rank() != 5 || declared.get().dim(3).map(d -> d != parts).orElse(false)) {
                return Optional.of("packed input '" + packed + "' is " + declared.get().dims() + "; packed "
                        + (packedQkv ? "QKV is [B, N, H, 3, D]" : "KV is [B, M, H, 2, D]"));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> commonChecks(NodeProto node, String[] optionalInputs, String[] extraOutputs) {
        for (int i = 3; i < node.getInputCount(); i++) {
            if (!node.getInput(i).isEmpty()) {
                String what = i < optionalInputs.length ? optionalInputs[i] : "input #" + i;
                return Optional.of("it takes " + what + " ('" + node.getInput(i) + "')");
            }
        }
        if (node.getOutputCount() == 0 || node.getOutput(0).isEmpty()) {
            return Optional.of("its main output is unused");
        }
        for (int i = 1; i < node.getOutputCount(); i++) {
            if (!node.getOutput(i).isEmpty()) {
                String what = i < extraOutputs.length ? extraOutputs[i] : "output #" + i;
                return Optional.of("it also produces " + what + " ('" + node.getOutput(i) + "')");
            }
        }
        return Optional.empty();
    }

    /** Checks what the file declares about Q/K/V; unknown shapes are checked again when the step runs. */
    static AttentionNode shapeChecks(AttentionNode found, ValueTable values, boolean headsFromShape) {
        for (String name : List.of(found.query(), found.key(), found.value())) {
            if (values.isInitializer(name)) {
                return found.keptBecause("input '" + name + "' is a constant initializer");
            }
        }
        Optional<ValueTable.Declared> q = values.get(found.query());
        Optional<ValueTable.Declared> k = values.get(found.key());
        Optional<ValueTable.Declared> v = values.get(found.value());
        for (Optional<ValueTable.Declared> d : List.of(q, k, v)) {
            if (d.isPresent() && d.get().elemType() != 0
                    && ElementTypes.attentionDType(d.get().elemType()).isEmpty()) {
                return found.keptBecause("input '" + d.get().name() + "' is " + ElementTypes.label(d.get().elemType())
                        + "; attention backends take float32, float16 or bfloat16");
            }
        }
        if (q.isPresent() && q.get().hasShape() && q.get().rank() == 3 && headsFromShape) {
            return found.keptBecause("3-D inputs need the q_num_heads and kv_num_heads attributes");
        }
        if (q.isPresent() && q.get().hasShape() && q.get().rank() != 3 && q.get().rank() != 4) {
            return found.keptBecause("Q has rank " + q.get().rank() + "; attention takes 3-D or 4-D inputs");
        }
        // Head size of V must equal that of Q and K: our backends produce [.., D] with Q's D.
        if (k.isPresent() && v.isPresent() && k.get().hasShape() && v.get().hasShape()
                && k.get().rank() == v.get().rank()) {
            int last = k.get().rank() - 1;
            Optional<Long> kd = k.get().dim(last);
            Optional<Long> vd = v.get().dim(last);
            if (kd.isPresent() && vd.isPresent() && !kd.get().equals(vd.get())) {
                return found.keptBecause("V's last axis (" + vd.get() + ") differs from K's (" + kd.get()
                        + "); backends need one head size for Q, K and V");
            }
        }
        return found;
    }

    static String input(NodeProto node, int i) {
        return i < node.getInputCount() ? node.getInput(i) : "";
    }

    static String output(NodeProto node, int i) {
        return i < node.getOutputCount() ? node.getOutput(i) : "";
    }

    static long intAttr(NodeProto node, String name, long fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return fallback;
    }

    static OptionalDouble floatAttr(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return OptionalDouble.of(a.getF());
            }
        }
        return OptionalDouble.empty();
    }
}
