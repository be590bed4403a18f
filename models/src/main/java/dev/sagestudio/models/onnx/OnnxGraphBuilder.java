package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorShapeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TypeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Builds small ONNX graphs in code: the sampler step the device loop runs next to the denoiser, and the graphs tests
 * make. Wraps the protobuf builders so that value infos, nodes, attributes and initializers are spelled once.
 */
public final class OnnxGraphBuilder {
    /** IR version of the models built here (ONNX 1.16+; what ONNX Runtime 1.24 reads). */
    static final long IR_VERSION = 10;
    /** Opset of the default domain. */
    static final long OPSET = 23;

    private final GraphProto.Builder graph;
    private final Map<String, Long> extraDomains = new LinkedHashMap<>();

    public OnnxGraphBuilder(String name) {
        this.graph = GraphProto.newBuilder().setName(name);
    }

    /** Declares a graph input; negative dims are symbolic (named {@code d1} for -1, {@code d2} for -2, ...). */
    public OnnxGraphBuilder input(String name, int elemType, long... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
        return this;
    }

    /** Declares a graph output, dims as in {@link #input}. */
    public OnnxGraphBuilder output(String name, int elemType, long... dims) {
        graph.addOutput(valueInfo(name, elemType, dims));
        return this;
    }

    public OnnxGraphBuilder initializer(TensorProto tensor) {
        graph.addInitializer(tensor);
        return this;
    }

    public OnnxGraphBuilder node(NodeProto.Builder node) {
        graph.addNode(node);
        return this;
    }

    /** Adds a node named {@code <op>_<first output>}. */
    public OnnxGraphBuilder node(String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        NodeProto.Builder node = node(op.toLowerCase() + "_" + outputs.get(0), op, inputs, outputs.toArray(String[]::new));
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
        return this;
    }

    /** Imports {@code domain} at {@code version} besides the default domain (e.g. {@code com.microsoft}). */
    public OnnxGraphBuilder useDomain(String domain, long version) {
        extraDomains.put(domain, version);
        return this;
    }

    /** The graph being built, for what this builder does not spell (value_info, subgraphs). */
    public GraphProto.Builder graph() {
        return graph;
    }

    public ModelProto build(String producer) {
        ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName(producer)
                .setGraph(graph).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        extraDomains.forEach((domain, version) -> model.addOpsetImport(OperatorSetIdProto.newBuilder()
                .setDomain(domain).setVersion(version)));
        return model.build();
    }

    /** A node called {@code name} (none when empty). */
    public static NodeProto.Builder node(String name, String op, List<String> inputs, String... outputs) {
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(op);
        if (!name.isEmpty()) {
            node.setName(name);
        }
        inputs.forEach(node::addInput);
        for (String o : outputs) {
            node.addOutput(o);
        }
        return node;
    }

    /** A tensor value info; negative dims are symbolic, named {@code d1} for -1, {@code d2} for -2, .... */
    public static ValueInfoProto valueInfo(String name, int elemType, long... dims) {
        return valueInfo(name, elemType, d -> "d" + (-d), dims);
    }

    /** A tensor value info whose negative dims are symbolic, named by {@code symbol}. */
    public static ValueInfoProto valueInfo(String name, int elemType, LongFunction<String> symbol, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam(symbol.apply(d))
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }

    /** A 1-D int64 tensor. */
    public static TensorProto int64s(String name, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(ElementTypes.INT64)
                .addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        return t.build();
    }

    /** A scalar (0-D) int64 tensor. */
    public static TensorProto int64Scalar(String name, long value) {
        return TensorProto.newBuilder().setName(name).setDataType(ElementTypes.INT64).addInt64Data(value).build();
    }

    public static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto floatAttr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }

    public static AttributeProto intsAttr(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** A graph-valued attribute (the branches of {@code If}, the body of {@code Loop}). */
    public static AttributeProto graphAttr(String name, GraphProto value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(value)
                .build();
    }
}
