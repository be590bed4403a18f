package dev.sagestudio.models.runtime;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the graphs ONNX Runtime saved after optimization ({@link OrtRuntime#saveOptimizedModelsIn}) and
 * counts the copies it inserted between host and device: ONNX Runtime makes them as {@code MemcpyToHost}
 * and {@code MemcpyFromHost} nodes, so a session whose graph has none moves no tensor across PCIe.
 */
public final class OptimizedGraphs {
    private OptimizedGraphs() {}

    /** ONNX Runtime's node types for copies between host and device memory. */
    public static final List<String> COPY_OPS = List.of("MemcpyToHost", "MemcpyFromHost");

    /** Copy nodes in one model (its main graph and every subgraph). */
    public static long copyNodes(ModelProto model) {
        return copyNodes(model.getGraph());
    }

    private static long copyNodes(GraphProto graph) {
        long count = 0;
        for (NodeProto node : graph.getNodeList()) {
            if (COPY_OPS.contains(node.getOpType())) {
                count++;
            }
            for (var attribute : node.getAttributeList()) {
                if (attribute.hasG()) {
                    count += copyNodes(attribute.getG());
                }
                for (GraphProto g : attribute.getGraphsList()) {
                    count += copyNodes(g);
                }
            }
        }
        return count;
    }

    /** Copy nodes in every {@code *.onnx} file of {@code folder}. */
    public static long copyNodes(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            long total = 0;
            for (Path file : files.filter(f -> f.toString().endsWith(".onnx")).sorted().toList()) {
                total += copyNodes(read(file));
            }
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list optimized graphs in " + folder, e);
        }
    }

    /**
     * One host/device copy ONNX Runtime inserted.
     *
     * @param graph the optimized graph's file name
     * @param op {@code MemcpyToHost} or {@code MemcpyFromHost}
     * @param tensor the tensor copied (the copy node's input: the name it has in the original graph)
     * @param producer the op type that produces {@code tensor} in the optimized graph ("graph input" if none)
     * @param consumers the op types that read the copy
     */
    public record HostCopy(String graph, String op, String tensor, String producer, List<String> consumers) {
        @Override
        public String toString() {
            return op + " of '" + tensor + "' (" + producer + " -> " + String.join(", ", consumers) + ") in " + graph;
        }
    }

    /** Every copy node in the main graphs of the {@code *.onnx} files of {@code folder}, with its neighbours. */
    public static List<HostCopy> copies(Path folder) {
        List<HostCopy> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".onnx")).sorted().toList()) {
                GraphProto graph = read(file).getGraph();
                for (NodeProto node : graph.getNodeList()) {
                    if (!COPY_OPS.contains(node.getOpType()) || node.getInputCount() == 0) {
                        continue;
                    }
                    String tensor = node.getInput(0);
                    String producer = graph.getNodeList().stream().filter(n -> n.getOutputList().contains(tensor))
                            .map(NodeProto::getOpType).findFirst().orElse("graph input");
                    List<String> consumers = graph.getNodeList().stream()
                            .filter(n -> node.getOutputCount() > 0 && n.getInputList().contains(node.getOutput(0)))
                            .map(NodeProto::getOpType).toList();
                    out.add(new HostCopy(file.getFileName().toString(), node.getOpType(), tensor, producer,
                            consumers.isEmpty() ? List.of("graph output") : consumers));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read optimized graphs in " + folder, e);
        }
        return out;
    }

    /** The names of the tensors copied in {@code folder}'s graphs. */
    public static Set<String> copiedTensors(Path folder) {
        Set<String> names = new LinkedHashSet<>();
        copies(folder).forEach(c -> names.add(c.tensor()));
        return names;
    }

    /** Number of {@code *.onnx} files ONNX Runtime saved in {@code folder}. */
    public static long graphs(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.toString().endsWith(".onnx")).count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list optimized graphs in " + folder, e);
        }
    }

    private static ModelProto read(Path file) throws IOException {
        try {
            return ModelProto.parseFrom(Files.readAllBytes(file));
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("ONNX Runtime's optimized graph " + file + " is not a readable ONNX model: "
                    + e.getMessage(), e);
        }
    }
}
