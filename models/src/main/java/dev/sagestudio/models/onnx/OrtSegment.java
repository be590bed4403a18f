package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.TypeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A run of consecutive nodes that ONNX Runtime executes as one model.
 *
 * @param index position among the plan's segments (0-based)
 * @param nodeIndices the original graph's node indices in this segment, in execution order
 * @param inputs tensors produced before this segment (or graph inputs) that it reads
 * @param outputs tensors it produces that later steps or the graph's outputs need
 * @param initializers names of the constants placed in this segment's model
 * @param model a complete model: the original model's header (opsets, functions, metadata) with a
 *     graph of just these nodes; inputs whose element type the file does not declare have no type
 *     yet, see {@link #typedModel}
 */
public record OrtSegment(int index, List<Integer> nodeIndices, List<String> inputs, List<String> outputs,
                         List<String> initializers, ModelProto model) implements Step {

    /**
     * The segment's model with every graph input typed: declared types are kept, the others take
     * {@code elemTypeOf(name)} (the element type of the tensor actually passed in).
     */
    public ModelProto typedModel(ToIntFunction<String> elemTypeOf) {
        ModelProto.Builder builder = model.toBuilder();
        var graph = builder.getGraphBuilder();
        for (int i = 0; i < graph.getInputCount(); i++) {
            ValueInfoProto input = graph.getInput(i);
            if (!input.hasType()) {
                int elemType = elemTypeOf.applyAsInt(input.getName());
                graph.setInput(i, input.toBuilder().setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))));
            }
        }
        return builder.build();
    }

    /** Whether some graph input still needs a runtime type. */
    public boolean needsInputTypes() {
        return model.getGraph().getInputList().stream().anyMatch(i -> !i.hasType());
    }

    @Override
    public String describe() {
        return "ONNX Runtime segment " + index + ": " + nodeIndices.size() + " node(s), inputs " + inputs
                + ", outputs " + outputs + ", " + initializers.size() + " initializer(s)";
    }

}
