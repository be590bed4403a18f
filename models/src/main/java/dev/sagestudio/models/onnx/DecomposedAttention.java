package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Finds attention written out as nodes, the way exporters without an attention operator write it:
 *
 * <pre>
 *   MatMul(Q', K') → [Mul | Div by a scale] → [Add of a mask or bias | Where] → [Cast] → Softmax
 *       → [Cast | Dropout] → MatMul(·, V)
 * </pre>
 *
 * where Q' is Q, possibly scaled (Mul/Div), and K' is Kᵀ — a Transpose of K or of the heads-split
 * [B, M, H, D] tensor, possibly scaled before or after the Transpose — or K itself for ONNX Runtime's
 * {@code com.microsoft::FusedMatMul} with {@code transB} (its {@code alpha} is a scale). Scales may be
 * constants or computed from Q's shape as PyTorch's TorchScript exporter writes the default
 * 1/sqrt(head size) (Shape → Slice → Cast → Sqrt → Div, its square root applied to Q and Kᵀ).
 *
 * <p>A match replaces everything from the scaling of Q and K to the MatMul with V (nodes whose outputs
 * other nodes also read stay). Q, K and V are 4-D [B, H, N, D] or 3-D [B·H, N, D]. When K exists only
 * transposed, an added Transpose produces it. Adding a mask or bias (other than zeros or a constant
 * top-left causal mask) keeps the attention in ONNX Runtime, with the reason; a Softmax between
 * MatMuls that does not fit this form is listed as unmatched, with the reason.
 */
final class DecomposedAttention {
    private static final int MAX_CHAIN = 16;
    private static final int MAX_EXPRESSION_DEPTH = 12;
    /** A scale is a value, or one repeated along an axis (a norm weight of ones); weight matrices are not read. */
    private static final long MAX_SCALE_ELEMENTS = 1 << 16;
    private static final String FUSED_MATMUL = "FusedMatMul";
    private static final String MICROSOFT = "com.microsoft";
    /** A mask entry at or below this hides a key: fp16 exports use -65504 or -10000, fp32 ones -inf or -1e9. */
    private static final double MASKED = -1e4;

    /** coefficient × (head size)^power, with the tensors whose last axis was read as the head size. */
    private record Factor(double coefficient, double power, Set<String> headSizeOf) {
        static Factor of(double value) {
            return new Factor(value, 0, Set.of());
        }

        Factor times(Factor other) {
            return new Factor(coefficient * other.coefficient, power + other.power, union(other));
        }

        Factor inverse() {
            return new Factor(1 / coefficient, -power, headSizeOf);
        }

        Factor pow(double exponent) {
            return new Factor(Math.pow(coefficient, exponent), power * exponent, headSizeOf);
        }

        private Set<String> union(Factor other) {
            Set<String> all = new LinkedHashSet<>(headSizeOf);
            all.addAll(other.headSizeOf);
            return all;
        }
    }

    /** A result for one Softmax: a match, a near miss with its reason, or nothing attention-like. */
    private static final class NotAttention extends Exception {
        NotAttention() {
            super(null, null, false, false);
        }
    }

    private static final class Unmatched extends Exception {
        Unmatched(String reason) {
            super(reason, null, false, false);
        }
    }

    private final GraphProto graph;
    private final ValueTable values;
    private final GraphAdditions additions;
    private final ConstantValues constants;
    private final Map<String, Integer> producer = new HashMap<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final List<AttentionNode> matches = new ArrayList<>();
    private final List<UnmatchedAttention> unmatched = new ArrayList<>();

    DecomposedAttention(OnnxModel model, ValueTable values, GraphAdditions additions) {
        this.graph = model.graph();
        this.values = values;
        this.additions = additions;
        this.constants = new ConstantValues(graph);
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            for (String out : node.getOutputList()) {
                if (!out.isEmpty()) {
                    producer.putIfAbsent(out, i);
                }
            }
            for (String in : GraphPartitioner.readsOf(node)) {
                consumers.computeIfAbsent(in, n -> new ArrayList<>()).add(i);
            }
        }
        graph.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            if (!isOp(node, "Softmax")) {
                continue;
            }
            try {
                matches.add(matchAt(i));
            } catch (Unmatched e) {
                unmatched.add(new UnmatchedAttention(i, node.getName(), "Softmax", e.getMessage()));
            } catch (NotAttention e) {
                // A Softmax that is not between two MatMuls (a classifier head, a gate): not attention.
            }
        }
    }

    List<AttentionNode> matches() {
        return List.copyOf(matches);
    }

    List<UnmatchedAttention> unmatched() {
        return List.copyOf(unmatched);
    }

    private AttentionNode matchAt(int softmaxIndex) throws NotAttention, Unmatched {
        NodeProto softmax = graph.getNode(softmaxIndex);
        Set<Integer> pattern = new LinkedHashSet<>();
        pattern.add(softmaxIndex);

        // Down: Softmax → [Cast | Dropout | Identity]* → MatMul(weights, V).
        String weights = softmax.getOutput(0);
        int weightsMatMul = -1;
        for (int depth = 0; depth < MAX_CHAIN && weightsMatMul < 0; depth++) {
            List<Integer> readers = consumers.getOrDefault(weights, List.of());
            if (readers.size() != 1 || graphOutputs.contains(weights)) {
                Optional<Integer> matMul = readers.stream().filter(r -> isOp(graph.getNode(r), "MatMul")).findFirst();
                if (matMul.isPresent()) {
                    throw new Unmatched("the attention weights ('" + weights + "') are also read by "
                            + describeReaders(weights, matMul.get()));
                }
                throw new NotAttention();
            }
            NodeProto next = graph.getNode(readers.get(0));
            if (isOp(next, "MatMul")) {
                if (!next.getInput(0).equals(weights)) {
                    throw new Unmatched("the attention weights are the right-hand factor of MatMul "
                            + name(readers.get(0)) + " (Vᵀ·Pᵀ form)");
                }
                weightsMatMul = readers.get(0);
            } else if (isOp(next, "Cast") || isOp(next, "Identity")
                    || (isOp(next, "Dropout") && (next.getOutputCount() < 2 || next.getOutput(1).isEmpty()))) {
                pattern.add(readers.get(0));
                weights = next.getOutput(0);
            } else {
                throw new NotAttention();
            }
        }
        if (weightsMatMul < 0) {
            throw new NotAttention();
        }
        NodeProto output = graph.getNode(weightsMatMul);

        // Up: Softmax ← [Cast | Mul/Div by a scale | Add of a mask | Where]* ← MatMul or FusedMatMul (Q·Kᵀ).
        List<Factor> factors = new ArrayList<>();
        List<String> scaleSites = new ArrayList<>();
        List<String> chainOps = new ArrayList<>();
        String maskReason = null;
        boolean causal = false;
        String scores = softmax.getInput(0);
        int scoresMatMul = -1;
        for (int depth = 0; depth < MAX_CHAIN && scoresMatMul < 0; depth++) {
            Integer p = producer.get(scores);
            if (p == null) {
                throw new NotAttention();
            }
            NodeProto node = graph.getNode(p);
            if (isOp(node, "MatMul") || isMicrosoftOp(node, FUSED_MATMUL)) {
                scoresMatMul = p;
                break;
            }
            pattern.add(p);
            if (isOp(node, "Cast") || isOp(node, "Identity")) {
                chainOps.add(0, node.getOpType());
                scores = node.getInput(0);
            } else if ((isOp(node, "Mul") || isOp(node, "Div")) && node.getInputCount() == 2) {
                Optional<Factor> factor = scaleOperand(node);
                if (factor.isPresent()) {
                    factors.add(factor.get());
                    scaleSites.add("scores");
                    chainOps.add(0, node.getOpType());
                    scores = node.getInput(otherOperand(node));
                } else {
                    int branch = scoresBranch(node);
                    maskReason = "it multiplies the scores by '" + node.getInput(1 - branch)
                            + "', which is not a constant scale";
                    chainOps.add(0, node.getOpType());
                    scores = node.getInput(branch);
                }
            } else if (isOp(node, "Add") && node.getInputCount() == 2) {
                int branch = scoresBranch(node);
                String mask = node.getInput(1 - branch);
                if (isZero(mask)) {
                    chainOps.add(0, "Add(zeros)");
                } else if (isCausalMask(mask)) {
                    causal = true;
                    chainOps.add(0, "Add(causal mask)");
                } else {
                    maskReason = "it adds a mask or bias ('" + mask + "') to the scores; SageStudio's backends take"
                            + " none";
                    chainOps.add(0, "Add(mask)");
                }
                scores = node.getInput(branch);
            } else if (isOp(node, "Where") && node.getInputCount() == 3) {
                int branch = reachesScores(node.getInput(1), 0) ? 1 : reachesScores(node.getInput(2), 0) ? 2 : -1;
                if (branch < 0) {
                    throw new NotAttention();
                }
                maskReason = "it masks the scores with Where (condition '" + node.getInput(0) + "'); SageStudio's"
                        + " backends take no mask";
                chainOps.add(0, "Where(mask)");
                scores = node.getInput(branch);
            } else {
                throw new NotAttention();
            }
        }
        if (scoresMatMul < 0) {
            throw new NotAttention();
        }
        pattern.add(scoresMatMul);
        pattern.add(weightsMatMul);
        requireOnlyReadInside(pattern, weightsMatMul);

        // Q·Kᵀ: the scale on either side, K's transpose, FusedMatMul's alpha and transB.
        NodeProto qk = graph.getNode(scoresMatMul);
        boolean fused = isMicrosoftOp(qk, FUSED_MATMUL);
        boolean keyTransposedByMatMul = false;
        if (fused) {
            if (AttentionNodes.intAttr(qk, "transA", 0) != 0 || AttentionNodes.intAttr(qk, "transBatchA", 0) != 0
                    || AttentionNodes.intAttr(qk, "transBatchB", 0) != 0) {
                throw new Unmatched("FusedMatMul " + name(scoresMatMul) + " transposes Q or a batch axis");
            }
            double alpha = AttentionNodes.floatAttr(qk, "alpha").orElse(1.0);
            if (alpha != 1.0) {
                factors.add(Factor.of(alpha));
                scaleSites.add("FusedMatMul alpha");
            }
            keyTransposedByMatMul = AttentionNodes.intAttr(qk, "transB", 0) != 0;
        }
        Set<Integer> optional = new LinkedHashSet<>();
        Set<String> headSizeTensors = new HashSet<>();
        String query = stripScale(qk.getInput(0), factors, scaleSites, "Q", optional, headSizeTensors);
        String keySide = stripScale(qk.getInput(1), factors, scaleSites, keyTransposedByMatMul ? "K" : "Kᵀ", optional,
                keyTransposedByMatMul ? headSizeTensors : new HashSet<>());
        String value = output.getInput(1);

        String key;
        List<Long> keyPerm = null;
        String keyForm;
        if (keyTransposedByMatMul) {
            key = keySide;
            keyForm = "K read transposed by FusedMatMul transB";
        } else {
            Integer t = producer.get(keySide);
            if (t != null && isOp(graph.getNode(t), "Transpose")) {
                NodeProto transpose = graph.getNode(t);
                List<Long> perm = permOf(transpose).orElseThrow(() -> new Unmatched("Transpose "
                        + name(t) + " before the scores MatMul has no perm and its input's rank is unknown"));
                List<Long> back = new ArrayList<>(perm);
                int n = back.size();
                if (n < 2) {
                    throw new Unmatched("Kᵀ comes from a Transpose of rank " + n);
                }
                back.set(n - 2, perm.get(n - 1));
                back.set(n - 1, perm.get(n - 2));
                optional.add(t);
                key = stripScale(transpose.getInput(0), factors, scaleSites, "K", optional, headSizeTensors);
                if (isIdentity(back)) {
                    keyForm = "Kᵀ = Transpose " + perm + " of K";
                } else {
                    keyPerm = back;
                    keyForm = "Kᵀ = Transpose " + perm + " of '" + key + "'; K laid out by an added Transpose "
                            + back;
                }
            } else {
                int rank = rankOf(keySide, 0);
                if (rank < 2) {
                    throw new Unmatched("Kᵀ ('" + keySide + "') is not produced by a Transpose and its rank is"
                            + " unknown");
                }
                List<Long> swap = new ArrayList<>();
                for (long i = 0; i < rank; i++) {
                    swap.add(i);
                }
                swap.set(rank - 2, (long) rank - 1);
                swap.set(rank - 1, (long) rank - 2);
                key = keySide;
                keyPerm = swap;
                keyForm = "Kᵀ given as '" + keySide + "'; K laid out by an added Transpose " + swap;
            }
        }
        headSizeTensors.add(query);
        if (keyPerm == null) {
            headSizeTensors.add(key);
        }

        Factor scale = Factor.of(1);
        for (Factor f : factors) {
            scale = scale.times(f);
        }
        if (!headSizeTensors.containsAll(scale.headSizeOf())) {
            Set<String> others = new LinkedHashSet<>(scale.headSizeOf());
            others.removeAll(headSizeTensors);
            throw new Unmatched("its scale reads the last axis of " + others + ", which is not Q's or K's head size");
        }
        OptionalDouble softmaxScale;
        String scaleText;
        if (Math.abs(scale.power()) < 1e-9) {
            softmaxScale = OptionalDouble.of(scale.coefficient());
            scaleText = String.format(Locale.ROOT, "%.6g", scale.coefficient());
        } else if (Math.abs(scale.power() + 0.5) < 1e-9 && Math.abs(scale.coefficient() - 1) < 1e-6) {
            softmaxScale = OptionalDouble.empty();
            scaleText = "1/sqrt(head size), computed from the shape";
        } else {
            throw new Unmatched(String.format(Locale.ROOT, "its scale is %.6g·(head size)^%.3g, neither a constant"
                    + " nor 1/sqrt(head size)", scale.coefficient(), scale.power()));
        }

        pattern.addAll(coverable(optional, pattern));
        String sites = scaleSites.isEmpty() ? "" : " on " + String.join(", ", new LinkedHashSet<>(scaleSites));
        String text = (fused ? "FusedMatMul" : "MatMul") + "(Q, " + (keyTransposedByMatMul ? "K" : "Kᵀ") + ")"
                + (chainOps.isEmpty() ? "" : " → " + String.join(" → ", chainOps))
                + " → Softmax → MatMul(·, V); scale " + scaleText + sites + "; " + keyForm;
        AttentionNode found = new AttentionNode(weightsMatMul, output.getName(), AttentionOp.DECOMPOSED, query, key,
                value, output.getOutput(0), 0, 0, causal, softmaxScale, Optional.empty(), text,
                List.copyOf(pattern));
        if (maskReason != null) {
            return found.keptBecause(maskReason);
        }
        Optional<String> rankProblem = rankProblem(query, keyPerm == null ? key : keySide, value);
        if (rankProblem.isPresent()) {
            return found.keptBecause(rankProblem.get());
        }
        AttentionNode checked = AttentionNodes.shapeChecks(found, values, false);
        if (checked.substituted() && keyPerm != null) {
            String laidOut = additions.transpose(key, keyPerm, "key_of_" + output.getOutput(0));
            return checked.withInputs(query, laidOut, value, text);
        }
        return checked;
    }

    /** Q, K and V must have one rank, 3 or 4, where it is known. */
    private Optional<String> rankProblem(String query, String keyOrTransposed, String value) {
        int q = rankOf(query, 0);
        int k = rankOf(keyOrTransposed, 0);
        int v = rankOf(value, 0);
        if (q > 0 && q != 3 && q != 4) {
            return Optional.of("Q has rank " + q + "; decomposed attention is taken with 3-D [B*H, N, D] or 4-D"
                    + " [B, H, N, D] tensors");
        }
        if ((q > 0 && k > 0 && q != k) || (q > 0 && v > 0 && q != v)) {
            return Optional.of("Q, K and V have ranks " + q + ", " + k + ", " + v + " (MatMul broadcasting)");
        }
        return Optional.empty();
    }

    /** Nodes of {@code pattern} other than {@code last} may be read only by nodes of the pattern. */
    private void requireOnlyReadInside(Set<Integer> pattern, int last) throws Unmatched {
        for (int index : pattern) {
            if (index == last) {
                continue;
            }
            for (String out : graph.getNode(index).getOutputList()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (graphOutputs.contains(out)) {
                    throw new Unmatched("'" + out + "' inside the attention is a graph output");
                }
                for (int reader : consumers.getOrDefault(out, List.of())) {
                    if (!pattern.contains(reader)) {
                        throw new Unmatched("'" + out + "' inside the attention is also read by " + name(reader));
                    }
                }
            }
        }
    }

    /** Of the scale and transpose nodes, those whose outputs only the attention reads (the others stay). */
    private Set<Integer> coverable(Set<Integer> optional, Set<Integer> pattern) {
        Set<Integer> covered = new LinkedHashSet<>(optional);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Integer index : List.copyOf(covered)) {
                for (String out : graph.getNode(index).getOutputList()) {
                    boolean outside = graphOutputs.contains(out) || consumers.getOrDefault(out, List.of()).stream()
                            .anyMatch(r -> !pattern.contains(r) && !covered.contains(r));
                    if (outside && covered.remove(index)) {
                        changed = true;
                    }
                }
            }
        }
        return covered;
    }

    /**
     * Follows {@code tensor} back through Mul/Div by scale factors; returns the unscaled tensor. Every
     * tensor passed is noted in {@code headSizeTensors} (their last axis is the head size).
     */
    private String stripScale(String tensor, List<Factor> factors, List<String> sites, String site,
                              Set<Integer> optional, Set<String> headSizeTensors) {
        String current = tensor;
        for (int depth = 0; depth < MAX_CHAIN; depth++) {
            headSizeTensors.add(current);
            Integer p = producer.get(current);
            if (p == null) {
                break;
            }
            NodeProto node = graph.getNode(p);
            if (!(isOp(node, "Mul") || isOp(node, "Div")) || node.getInputCount() != 2) {
                break;
            }
            Optional<Factor> factor = scaleOperand(node);
            if (factor.isEmpty()) {
                break;
            }
            factors.add(factor.get());
            sites.add(site);
            optional.add(p);
            current = node.getInput(otherOperand(node));
        }
        return current;
    }

    /**
     * The scale a Mul or Div applies: its constant (or shape-computed) operand, inverted for Div. For Mul
     * either operand may be the scale; for Div only the divisor.
     */
    private Optional<Factor> scaleOperand(NodeProto node) {
        boolean div = isOp(node, "Div");
        Optional<Factor> second = evaluate(node.getInput(1), 0);
        if (second.isPresent()) {
            return Optional.of(div ? second.get().inverse() : second.get());
        }
        return div ? Optional.empty() : evaluate(node.getInput(0), 0);
    }

    /** Index of the operand that is not the scale (see {@link #scaleOperand}). */
    private int otherOperand(NodeProto node) {
        return evaluate(node.getInput(1), 0).isPresent() ? 0 : 1;
    }

    /** Which input of a two-input node carries the scores (comes from the Q·Kᵀ MatMul). */
    private int scoresBranch(NodeProto node) throws NotAttention, Unmatched {
        boolean first = reachesScores(node.getInput(0), 0);
        boolean second = reachesScores(node.getInput(1), 0);
        if (first && second) {
            throw new Unmatched("both inputs of " + node.getOpType() + " '" + node.getName()
                    + "' come from MatMuls; which one holds the scores is ambiguous");
        }
        if (!first && !second) {
            throw new NotAttention();
        }
        return first ? 0 : 1;
    }

    private boolean reachesScores(String tensor, int depth) {
        Integer p = producer.get(tensor);
        if (p == null || depth > 6) {
            return false;
        }
        NodeProto node = graph.getNode(p);
        if (isOp(node, "MatMul") || isMicrosoftOp(node, FUSED_MATMUL)) {
            return node.getInputCount() == 2 && !constants.isConstant(node.getInput(0))
                    && !constants.isConstant(node.getInput(1));
        }
        if (isOp(node, "Cast") || isOp(node, "Identity") || isOp(node, "Mul") || isOp(node, "Div")
                || isOp(node, "Add") || isOp(node, "Where")) {
            for (String in : node.getInputList()) {
                if (!in.isEmpty() && reachesScores(in, depth + 1)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A scalar the graph computes from constants and the head size (the last axis of a tensor's shape):
     * Constant, Cast, Sqrt, Reciprocal, Mul, Div, Pow by a constant, and shape-preserving wrappers.
     */
    private Optional<Factor> evaluate(String tensor, int depth) {
        if (depth > MAX_EXPRESSION_DEPTH || tensor.isEmpty()) {
            return Optional.empty();
        }
        Optional<ConstantValues.Constant> constant = constants.get(tensor, MAX_SCALE_ELEMENTS);
        if (constant.isPresent()) {
            double[] v = constant.get().values();
            // One value, or one value repeated along a single axis (e.g. an RMSNorm weight of ones):
            // multiplying by it scales without broadcasting the tensor to another shape.
            if (v.length == 0 || (v.length > 1 && constant.get().dims().length != 1)) {
                return Optional.empty();
            }
            for (double x : v) {
                if (x != v[0]) {
                    return Optional.empty();
                }
            }
            return Optional.of(Factor.of(v[0]));
        }
        Integer p = producer.get(tensor);
        if (p == null) {
            return Optional.empty();
        }
        NodeProto node = graph.getNode(p);
        if (!OnnxModel.normalizeDomain(node.getDomain()).isEmpty()) {
            return Optional.empty();
        }
        switch (node.getOpType()) {
            case "Cast", "Identity", "Squeeze", "Unsqueeze", "Reshape", "Expand":
                return evaluate(node.getInput(0), depth + 1);
            case "Sqrt":
                return evaluate(node.getInput(0), depth + 1).map(f -> f.pow(0.5));
            case "Reciprocal":
                return evaluate(node.getInput(0), depth + 1).map(Factor::inverse);
            case "Mul", "Div": {
                Optional<Factor> a = evaluate(node.getInput(0), depth + 1);
                Optional<Factor> b = evaluate(node.getInput(1), depth + 1);
                if (a.isEmpty() || b.isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(node.getOpType().equals("Mul") ? a.get().times(b.get())
                        : a.get().times(b.get().inverse()));
            }
            case "Pow": {
                Optional<Factor> base = evaluate(node.getInput(0), depth + 1);
                Optional<Factor> exponent = evaluate(node.getInput(1), depth + 1);
                if (base.isEmpty() || exponent.isEmpty() || exponent.get().power() != 0) {
                    return Optional.empty();
                }
                return Optional.of(base.get().pow(exponent.get().coefficient()));
            }
            case "Slice", "Gather":
                return lastAxisOfShape(node);
            case "Shape":
                return shapeNodeLastAxis(node);
            default:
                return Optional.empty();
        }
    }

    /** Slice(Shape(X), -1:) or Gather(Shape(X), -1): X's last axis, read as the head size. */
    private Optional<Factor> lastAxisOfShape(NodeProto node) {
        Integer s = producer.get(node.getInput(0));
        if (s == null || !isOp(graph.getNode(s), "Shape")) {
            return Optional.empty();
        }
        NodeProto shape = graph.getNode(s);
        if (AttentionNodes.intAttr(shape, "start", 0) != 0 || hasAttr(shape, "end")) {
            return Optional.empty();
        }
        String of = shape.getInput(0);
        int rank = rankOf(of, 0);
        long start;
        if (isOp(node, "Gather")) {
            if (node.getInputCount() < 2 || AttentionNodes.intAttr(node, "axis", 0) != 0) {
                return Optional.empty();
            }
            Optional<ConstantValues.Constant> index = smallConstantInput(node, 1);
            if (index.isEmpty() || !index.get().isScalar()) {
                return Optional.empty();
            }
            start = (long) index.get().values()[0];
        } else {
            Optional<ConstantValues.Constant> starts = smallConstantInput(node, 1);
            if (starts.isEmpty() || !starts.get().isScalar()) {
                return Optional.empty();
            }
            start = (long) starts.get().values()[0];
            Optional<ConstantValues.Constant> ends = smallConstantInput(node, 2);
            boolean toTheEnd = ends.isPresent() && ends.get().isScalar()
                    && (ends.get().values()[0] >= Integer.MAX_VALUE || (rank > 0 && ends.get().values()[0] >= rank));
            if (!toTheEnd || node.getInputCount() > 4) {
                return Optional.empty();
            }
        }
        boolean last = start == -1 || (rank > 0 && start == rank - 1);
        return last ? Optional.of(new Factor(1, 1, Set.of(of))) : Optional.empty();
    }

    /** Shape(X, start=-1): [X's last axis]. */
    private Optional<Factor> shapeNodeLastAxis(NodeProto shape) {
        if (AttentionNodes.intAttr(shape, "start", 0) == -1 && !hasAttr(shape, "end")) {
            return Optional.of(new Factor(1, 1, Set.of(shape.getInput(0))));
        }
        return Optional.empty();
    }

    /** Whether {@code tensor} is zero everywhere: a constant of zeros, or something multiplied by 0. */
    private boolean isZero(String tensor) {
        Optional<ConstantValues.Constant> constant = constants.get(tensor);
        if (constant.isPresent()) {
            return java.util.Arrays.stream(constant.get().values()).allMatch(v -> v == 0);
        }
        Optional<Factor> value = evaluate(tensor, 0);
        if (value.isPresent()) {
            return value.get().coefficient() == 0 && value.get().power() == 0;
        }
        Integer p = producer.get(tensor);
        if (p != null && isOp(graph.getNode(p), "Mul") && graph.getNode(p).getInputCount() == 2) {
            NodeProto mul = graph.getNode(p);
            return isZero(mul.getInput(0)) || isZero(mul.getInput(1));
        }
        return false;
    }

    /** A constant [.., N, M] mask of zeros on and below the diagonal and large negatives above it. */
    private boolean isCausalMask(String tensor) {
        Optional<ConstantValues.Constant> constant = constants.get(tensor);
        if (constant.isEmpty() || constant.get().dims().length < 2) {
            return false;
        }
        long[] dims = constant.get().dims();
        int n = (int) dims[dims.length - 2];
        int m = (int) dims[dims.length - 1];
        for (int i = 0; i < dims.length - 2; i++) {
            if (dims[i] != 1) {
                return false;
            }
        }
        double[] v = constant.get().values();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double x = v[i * m + j];
                if (j <= i ? x != 0 : !(x <= MASKED)) {
                    return false;
                }
            }
        }
        return n > 1;
    }

    /** The rank of {@code tensor}: declared, or followed through the nodes that keep or set it; 0 if unknown. */
    private int rankOf(String tensor, int depth) {
        Optional<ValueTable.Declared> declared = values.get(tensor);
        if (declared.isPresent() && declared.get().hasShape()) {
            return declared.get().rank();
        }
        Integer p = producer.get(tensor);
        if (p == null || depth > MAX_EXPRESSION_DEPTH) {
            return 0;
        }
        NodeProto node = graph.getNode(p);
        switch (node.getOpType()) {
            case "Transpose":
                return permOf(node).map(List::size).orElse(0);
            case "Reshape": {
                Optional<ConstantValues.Constant> shape = smallConstantInput(node, 1);
                return shape.map(c -> c.values().length).orElse(0);
            }
            case "Cast", "Identity", "Mul", "Div", "Add", "Sub", "Softmax", "Relu", "Neg":
                return rankOf(node.getInput(0), depth + 1);
            case "MatMul":
                return Math.max(rankOf(node.getInput(0), depth + 1), rankOf(node.getInput(1), depth + 1));
            default:
                return 0;
        }
    }

    /** Input {@code i} of {@code node} if it is a small constant (an index, a shape, slice bounds). */
    private Optional<ConstantValues.Constant> smallConstantInput(NodeProto node, int i) {
        return i < node.getInputCount() ? constants.get(node.getInput(i), MAX_SCALE_ELEMENTS) : Optional.empty();
    }

    private Optional<List<Long>> permOf(NodeProto transpose) {
        for (AttributeProto a : transpose.getAttributeList()) {
            if (a.getName().equals("perm")) {
                return Optional.of(List.copyOf(a.getIntsList()));
            }
        }
        int rank = rankOf(transpose.getInput(0), 1);
        if (rank == 0) {
            return Optional.empty();
        }
        List<Long> reversed = new ArrayList<>();
        for (long i = rank - 1; i >= 0; i--) {
            reversed.add(i);
        }
        return Optional.of(reversed);
    }

    private static boolean isIdentity(List<Long> perm) {
        for (int i = 0; i < perm.size(); i++) {
            if (perm.get(i) != i) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasAttr(NodeProto node, String name) {
        return node.getAttributeList().stream().anyMatch(a -> a.getName().equals(name));
    }

    private static boolean isOp(NodeProto node, String opType) {
        return node.getOpType().equals(opType) && OnnxModel.normalizeDomain(node.getDomain()).isEmpty();
    }

    private static boolean isMicrosoftOp(NodeProto node, String opType) {
        return node.getOpType().equals(opType) && node.getDomain().equals(MICROSOFT);
    }

    private String name(int index) {
        NodeProto node = graph.getNode(index);
        return node.getName().isEmpty() ? node.getOpType() + " #" + index : "'" + node.getName() + "'";
    }

    private String describeReaders(String tensor, int except) {
        List<String> others = new ArrayList<>();
        for (int r : consumers.getOrDefault(tensor, List.of())) {
            if (r != except) {
                others.add(graph.getNode(r).getOpType() + " " + name(r));
            }
        }
        if (graphOutputs.contains(tensor)) {
            others.add("the graph's outputs");
        }
        return String.join(", ", others);
    }
}
