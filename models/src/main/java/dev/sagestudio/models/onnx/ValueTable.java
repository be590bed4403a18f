package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorShapeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a graph declares about its tensors: element type and shape from graph inputs, outputs,
 * {@code value_info} and initializers. Tensors the file says nothing about are simply absent.
 */
public final class ValueTable {

    /** Declared type and shape of one tensor; a dimension is a number, a symbol or unknown ("?"). */
    public record Declared(String name, int elemType, List<String> dims, boolean hasShape) {

        public int rank() {
            return dims.size();
        }

        /** The extent of axis {@code axis} if it is a known number. */
        public Optional<Long> dim(int axis) {
            if (axis < 0 || axis >= dims.size()) {
                return Optional.empty();
            }
            try {
                return Optional.of(Long.parseLong(dims.get(axis)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        public String describe() {
            return ElementTypes.label(elemType) + (hasShape ? " " + dims : " [shape unknown]");
        }
    }

    private final Map<String, Declared> byName = new HashMap<>();
    private final java.util.Set<String> initializers = new java.util.HashSet<>();

    public ValueTable(GraphProto graph) {
        for (ValueInfoProto info : graph.getValueInfoList()) {
            add(info);
        }
        for (ValueInfoProto info : graph.getInputList()) {
            add(info);
        }
        for (ValueInfoProto info : graph.getOutputList()) {
            add(info);
        }
        for (TensorProto initializer : graph.getInitializerList()) {
            List<String> dims = new ArrayList<>();
            for (long d : initializer.getDimsList()) {
                dims.add(Long.toString(d));
            }
            initializers.add(initializer.getName());
            byName.put(initializer.getName(), new Declared(initializer.getName(), initializer.getDataType(),
                    List.copyOf(dims), true));
        }
    }

    private void add(ValueInfoProto info) {
        if (!info.hasType() || !info.getType().hasTensorType()) {
            return;
        }
        var tensor = info.getType().getTensorType();
        List<String> dims = new ArrayList<>();
        if (tensor.hasShape()) {
            for (TensorShapeProto.Dimension d : tensor.getShape().getDimList()) {
                if (d.hasDimValue()) {
                    dims.add(Long.toString(d.getDimValue()));
                } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                    dims.add(d.getDimParam());
                } else {
                    dims.add("?");
                }
            }
        }
        byName.put(info.getName(), new Declared(info.getName(), tensor.getElemType(), List.copyOf(dims),
                tensor.hasShape()));
    }

    /** Whether {@code name} is a constant of the graph (an initializer). */
    public boolean isInitializer(String name) {
        return initializers.contains(name);
    }

    public Optional<Declared> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }
}
