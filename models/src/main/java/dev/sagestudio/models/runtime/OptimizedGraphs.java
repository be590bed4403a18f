package dev.sagestudio.models.runtime;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
