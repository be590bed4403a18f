package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Cuts a model's main graph at the attention nodes SageStudio runs. Nodes are put in topological
 * order (ties keep file order); each maximal run of other nodes becomes one ONNX Runtime segment,
 * each substituted attention node one attention step. For every cut the tensors live across it are
 * worked out, and each segment receives the initializers its nodes (and their subgraphs) use;
 * external data stays a reference into the model folder.
 */
public final class GraphPartitioner {

    private GraphPartitioner() {
    }

    public static PartitionPlan partition(OnnxModel scanned) {
        // Rewrites that make ONNX Runtime's part faster and compute the same values (listed in the plan).
        GraphRewrites.Result rewrites = GraphRewrites.apply(scanned);
        AttentionScan scan = AttentionNodes.scan(rewrites.model());
        OnnxModel model = scan.model(); // with any nodes added to lay out substituted attention's inputs
        GraphProto graph = model.graph();
        List<AttentionNode> attention = scan.attention();
        // A substituted attention stands at its last node (the node itself, or the MatMul with V of a
        // decomposed one); the other nodes it covers are left out of every segment.
        Map<Integer, AttentionNode> substituted = new HashMap<>();
        Set<Integer> covered = new HashSet<>();
        for (AttentionNode node : attention) {
            if (node.substituted()) {
                substituted.put(node.nodeIndex(), node);
                covered.addAll(node.coveredNodes());
            }
        }

        Map<String, TensorProto> initializers = new HashMap<>();
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        Set<String> graphInputs = new LinkedHashSet<>();
        for (ValueInfoProto input : graph.getInputList()) {
            if (!initializers.containsKey(input.getName())) {
                graphInputs.add(input.getName());
            }
        }
        List<List<String>> reads = new ArrayList<>();
        for (NodeProto node : graph.getNodeList()) {
            reads.add(readsOf(node));
        }
        // An attention step also waits for its Q, K and V, which an added node may produce.
        List<List<String>> waitsFor = new ArrayList<>(reads);
        for (AttentionNode node : substituted.values()) {
            Set<String> all = new LinkedHashSet<>(reads.get(node.nodeIndex()));
            all.addAll(new AttentionStep(node).inputs());
            waitsFor.set(node.nodeIndex(), List.copyOf(all));
        }
        List<Integer> order = topologicalOrder(model, waitsFor, graphInputs, initializers.keySet());

        // Group consecutive non-substituted nodes.
        List<List<Integer>> groups = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        for (int index : order) {
            if (substituted.containsKey(index)) {
                if (!current.isEmpty()) {
                    groups.add(current);
                    current = new ArrayList<>();
                }
                groups.add(List.of(-1 - index)); // marker for an attention step
            } else if (!covered.contains(index)) {
                current.add(index);
            }
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }

        List<String> graphOutputs = graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
        Set<String> producedByNodes = new HashSet<>();
        graph.getNodeList().forEach(node -> producedByNodes.addAll(node.getOutputList()));
        for (String output : graphOutputs) {
            if (initializers.containsKey(output) && !graphInputs.contains(output)) {
                throw new OnnxModelException(model.source() + ": graph output '" + output
                        + "' is a constant initializer; such graphs are not supported");
            }
            // Checked here, not when running: a damaged graph whose output nothing writes must fail on opening.
            if (!producedByNodes.contains(output) && !graphInputs.contains(output)) {
                throw new OnnxModelException(model.source() + ": graph output '" + output
                        + "' is written by no node and is no graph input");
            }
        }
        // Tensors needed after each group: consumers in later groups plus graph outputs. Nodes whose
        // outputs nothing needs are dropped (e.g. what computed a substituted attention's scale), and
        // with them segments left empty.
        List<Set<String>> neededAfter = new ArrayList<>();
        Set<String> needed = new HashSet<>(graphOutputs);
        for (int g = groups.size() - 1; g >= 0; g--) {
            neededAfter.add(0, new HashSet<>(needed));
            List<Integer> group = groups.get(g);
            if (group.get(0) < 0) {
                needed.addAll(new AttentionStep(substituted.get(-1 - group.get(0))).inputs());
                continue;
            }
            List<Integer> live = new ArrayList<>();
            for (int i = group.size() - 1; i >= 0; i--) {
                int n = group.get(i);
                if (graph.getNode(n).getOutputList().stream().anyMatch(needed::contains)) {
                    live.add(0, n);
                    needed.addAll(reads.get(n));
                }
            }
            groups.set(g, live);
        }
        for (int g = groups.size() - 1; g >= 0; g--) {
            if (groups.get(g).isEmpty()) {
                groups.remove(g);
                neededAfter.remove(g);
            }
        }

        ValueTable values = new ValueTable(graph);
        List<Step> steps = new ArrayList<>();
        int segmentIndex = 0;
        for (int g = 0; g < groups.size(); g++) {
            List<Integer> group = groups.get(g);
            if (group.get(0) < 0) {
                steps.add(new AttentionStep(substituted.get(-1 - group.get(0))));
                continue;
            }
            steps.add(segment(model, segmentIndex++, group, reads, initializers, neededAfter.get(g), values));
        }
        return new PartitionPlan(model, List.copyOf(attention), scan.unmatched(), List.copyOf(steps),
                List.copyOf(graphInputs), graphOutputs, rewrites.done());
    }

    private static OrtSegment segment(OnnxModel model, int index, List<Integer> nodes, List<List<String>> reads,
                                      Map<String, TensorProto> initializers, Set<String> neededAfter,
                                      ValueTable values) {
        GraphProto graph = model.graph();
        Set<String> produced = new HashSet<>();
        Set<String> inputs = new LinkedHashSet<>();
        Set<String> usedInitializers = new LinkedHashSet<>();
        List<String> outputs = new ArrayList<>();
        for (int n : nodes) {
            for (String name : reads.get(n)) {
                if (produced.contains(name)) {
                    continue;
                }
                if (initializers.containsKey(name)) {
                    usedInitializers.add(name);
                } else {
                    inputs.add(name);
                }
            }
            for (String out : graph.getNode(n).getOutputList()) {
                if (!out.isEmpty()) {
                    produced.add(out);
                }
            }
        }
        for (int n : nodes) {
            for (String out : graph.getNode(n).getOutputList()) {
                if (!out.isEmpty() && neededAfter.contains(out) && !outputs.contains(out)) {
                    outputs.add(out);
                }
            }
        }
        GraphProto.Builder sub = GraphProto.newBuilder().setName(graph.getName() + "_segment" + index);
        for (int n : nodes) {
            sub.addNode(graph.getNode(n));
        }
        for (String name : usedInitializers) {
            // External data stays a reference; ONNX Runtime reads it from the model folder
            // (locations were checked when the model was loaded).
            sub.addInitializer(initializers.get(name));
        }
        Map<String, ValueInfoProto> declared = new HashMap<>();
        for (ValueInfoProto info : graph.getValueInfoList()) {
            declared.put(info.getName(), info);
        }
        for (ValueInfoProto info : graph.getInputList()) {
            declared.put(info.getName(), info);
        }
        for (ValueInfoProto info : graph.getOutputList()) {
            declared.put(info.getName(), info);
        }
        for (String name : inputs) {
            ValueInfoProto info = declared.get(name);
            boolean typed = values.get(name).map(d -> d.elemType() != 0).orElse(false);
            sub.addInput(typed ? info : ValueInfoProto.newBuilder().setName(name).build());
        }
        for (String name : outputs) {
            ValueInfoProto info = declared.get(name);
            sub.addOutput(info != null ? info : ValueInfoProto.newBuilder().setName(name).build());
        }
        for (ValueInfoProto info : graph.getValueInfoList()) {
            if (produced.contains(info.getName()) && !outputs.contains(info.getName())) {
                sub.addValueInfo(info);
            }
        }
        ModelProto segmentModel = model.proto().toBuilder().setGraph(sub).build();
        return new OrtSegment(index, List.copyOf(nodes), List.copyOf(inputs), List.copyOf(outputs),
                List.copyOf(usedInitializers), segmentModel);
    }

    /** Kahn's algorithm; among ready nodes the one earliest in the file goes first. */
    private static List<Integer> topologicalOrder(OnnxModel model, List<List<String>> reads, Set<String> graphInputs,
                                                  Set<String> initializers) {
        GraphProto graph = model.graph();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            for (String out : graph.getNode(i).getOutputList()) {
                if (out.isEmpty()) {
                    continue;
                }
                Integer previous = producer.put(out, i);
                if (previous != null) {
                    throw new OnnxModelException(model.source() + ": tensor '" + out + "' is produced by two nodes ("
                            + nodeLabel(graph, previous) + " and " + nodeLabel(graph, i) + ")");
                }
                if (graphInputs.contains(out) || initializers.contains(out)) {
                    throw new OnnxModelException(model.source() + ": " + nodeLabel(graph, i) + " writes '" + out
                            + "', which is already a graph input or initializer");
                }
            }
        }
        int count = graph.getNodeCount();
        int[] missing = new int[count];
        List<List<Integer>> consumers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            consumers.add(new ArrayList<>());
        }
        for (int i = 0; i < count; i++) {
            Set<Integer> deps = new HashSet<>();
            for (String name : reads.get(i)) {
                Integer p = producer.get(name);
                if (p != null) {
                    deps.add(p);
                } else if (!graphInputs.contains(name) && !initializers.contains(name)) {
                    throw new OnnxModelException(model.source() + ": " + nodeLabel(graph, i) + " reads '" + name
                            + "', which no node produces and which is neither a graph input nor an initializer");
                }
            }
            missing[i] = deps.size();
            for (int p : deps) {
                consumers.get(p).add(i);
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < count; i++) {
            if (missing[i] == 0) {
                ready.add(i);
            }
        }
        List<Integer> order = new ArrayList<>(count);
        while (!ready.isEmpty()) {
            int next = ready.poll();
            order.add(next);
            for (int c : consumers.get(next)) {
                if (--missing[c] == 0) {
                    ready.add(c);
                }
            }
        }
        if (order.size() != count) {
            throw new OnnxModelException(model.source() + ": the graph has a cycle (" + (count - order.size())
                    + " node(s) can never run)");
        }
        return order;
    }

    /** Tensors a node reads: its inputs plus the outer-scope names its subgraphs use. */
    static List<String> readsOf(NodeProto node) {
        Set<String> names = new LinkedHashSet<>();
        for (String in : node.getInputList()) {
            if (!in.isEmpty()) {
                names.add(in);
            }
        }
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.hasG()) {
                names.addAll(freeNames(attribute.getG()));
            }
            for (GraphProto g : attribute.getGraphsList()) {
                names.addAll(freeNames(g));
            }
        }
        return List.copyOf(names);
    }

    /** Names a subgraph reads from enclosing scopes. */
    private static Set<String> freeNames(GraphProto graph) {
        Set<String> defined = new HashSet<>();
        graph.getInputList().forEach(i -> defined.add(i.getName()));
        graph.getInitializerList().forEach(i -> defined.add(i.getName()));
        for (NodeProto node : graph.getNodeList()) {
            defined.addAll(node.getOutputList());
        }
        Set<String> free = new LinkedHashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            for (String name : readsOf(node)) {
                if (!defined.contains(name)) {
                    free.add(name);
                }
            }
        }
        return free;
    }

    private static String nodeLabel(GraphProto graph, int index) {
        NodeProto node = graph.getNode(index);
        String domain = node.getDomain().isEmpty() ? "" : node.getDomain() + "::";
        return "node #" + index + (node.getName().isEmpty() ? "" : " '" + node.getName() + "'") + " (" + domain
                + node.getOpType() + ")";
    }
}
