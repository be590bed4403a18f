package dev.sagestudio.models.onnx;

import com.google.protobuf.ByteString;
import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorShapeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TypeProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/**
 * Builds small ONNX graphs in tests with the protobuf builders: transformer-style blocks whose
 * attention runs through {@code Attention} (3-D or 4-D form) or {@code com.microsoft::MultiHeadAttention},
 * with random weights.
 */
public final class TinyGraph {
    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("tiny");
    private final Random random;
    private int counter;
    private boolean usesMicrosoftDomain;

    public TinyGraph(long seed) {
        this.random = new Random(seed);
    }

    public String input(String name, long... dims) {
        graph.addInput(valueInfo(name, ElementTypes.FLOAT, dims));
        return name;
    }

    public void output(String name, long... dims) {
        graph.addOutput(valueInfo(name, ElementTypes.FLOAT, dims));
    }

    /** Declares the type and shape of an intermediate tensor, as exporters do in value_info. */
    public void declare(String name, long... dims) {
        graph.addValueInfo(valueInfo(name, ElementTypes.FLOAT, dims));
    }

    static ValueInfoProto valueInfo(String name, int elemType, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("d" + (-d))
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }

    /** A float initializer with values uniform in [-scale, scale]. */
    public String weight(String name, float scale, long... dims) {
        graph.addInitializer(floatTensor(name, random, scale, dims));
        return name;
    }

    static TensorProto floatTensor(String name, Random random, float scale, long... dims) {
        long count = 1;
        for (long d : dims) {
            count *= d;
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            bytes.putFloat((random.nextFloat() * 2 - 1) * scale);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(ElementTypes.FLOAT)
                .setRawData(ByteString.copyFrom(bytes.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    public String int64s(String name, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(ElementTypes.INT64)
                .addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return name;
    }

    public NodeProto.Builder node(String op, String[] inputs, String... outputs) {
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + counter++);
        for (String in : inputs) {
            node.addInput(in);
        }
        for (String out : outputs) {
            node.addOutput(out);
        }
        return node;
    }

    public String op(String op, String... inputs) {
        String out = op.toLowerCase() + "_out_" + counter;
        graph.addNode(node(op, inputs, out));
        return out;
    }

    public GraphProto.Builder graph() {
        return graph;
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

    /** The options of one attention layer. */
    public record Layer(int heads, int kvHeads, int headDim, boolean isCausal, boolean is4d, boolean isMicrosoft,
                        String mask, Float scale) {
        public static Layer self(int heads, int headDim) {
            return new Layer(heads, heads, headDim, false, false, false, null, null);
        }

        public Layer gqa(int kv) {
            return new Layer(heads, kv, headDim, isCausal, is4d, isMicrosoft, mask, scale);
        }

        public Layer causal() {
            return new Layer(heads, kvHeads, headDim, true, is4d, isMicrosoft, mask, scale);
        }

        public Layer fourD() {
            return new Layer(heads, kvHeads, headDim, isCausal, true, isMicrosoft, mask, scale);
        }

        public Layer microsoft() {
            return new Layer(heads, kvHeads, headDim, isCausal, is4d, true, mask, scale);
        }

        public Layer scaled(float softmaxScale) {
            return new Layer(heads, kvHeads, headDim, isCausal, is4d, isMicrosoft, mask, softmaxScale);
        }

        public Layer masked(String maskTensor) {
            return new Layer(heads, kvHeads, headDim, isCausal, is4d, isMicrosoft, maskTensor, scale);
        }
    }

    /**
     * x + Wo · Attention(Wq x, Wk ctx, Wv ctx): self-attention when {@code context} is {@code x}.
     * Returns the residual output, [B, N, width].
     */
    public String attentionBlock(String x, long width, String context, long contextWidth, Layer layer) {
        int id = counter++;
        String q = op("MatMul", x, weight("wq" + id, 0.4f, width, (long) layer.heads() * layer.headDim()));
        String k = op("MatMul", context, weight("wk" + id, 0.4f, contextWidth,
                (long) layer.kvHeads() * layer.headDim()));
        String v = op("MatMul", context, weight("wv" + id, 0.4f, contextWidth,
                (long) layer.kvHeads() * layer.headDim()));
        String y;
        if (layer.is4d()) {
            String qh = toHeads(q, layer.heads(), layer.headDim());
            String kh = toHeads(k, layer.kvHeads(), layer.headDim());
            String vh = toHeads(v, layer.kvHeads(), layer.headDim());
            String yh = attention(qh, kh, vh, layer, false);
            String back = op2("Transpose", new String[] {yh}, intsAttr("perm", 0, 2, 1, 3));
            y = op("Reshape", back, int64s("flat" + counter++, 0, 0, (long) layer.heads() * layer.headDim()));
        } else {
            y = attention(q, k, v, layer, true);
        }
        String o = op("MatMul", y, weight("wo" + id, 0.4f, (long) layer.heads() * layer.headDim(), width));
        return op("Add", x, o);
    }

    private String toHeads(String t, int heads, int headDim) {
        String r = op("Reshape", t, int64s("split" + counter++, 0, 0, heads, headDim));
        return op2("Transpose", new String[] {r}, intsAttr("perm", 0, 2, 1, 3));
    }

    /** One node with attributes; returns its output. */
    String op2(String op, String[] inputs, AttributeProto... attributes) {
        String out = op.toLowerCase() + "_out_" + counter;
        NodeProto.Builder node = node(op, inputs, out);
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
        return out;
    }

    private String attention(String q, String k, String v, Layer layer, boolean threeD) {
        String out = "attn_out_" + counter;
        NodeProto.Builder node;
        if (layer.isMicrosoft()) {
            usesMicrosoftDomain = true;
            node = node("MultiHeadAttention", new String[] {q, k, v}, out).setDomain("com.microsoft")
                    .addAttribute(intAttr("num_heads", layer.heads()));
            if (layer.isCausal()) {
                node.addAttribute(intAttr("unidirectional", 1));
            }
        } else {
            String[] inputs = layer.mask() == null ? new String[] {q, k, v} : new String[] {q, k, v, layer.mask()};
            node = node("Attention", inputs, out);
            if (threeD) {
                node.addAttribute(intAttr("q_num_heads", layer.heads()));
                node.addAttribute(intAttr("kv_num_heads", layer.kvHeads()));
            }
            if (layer.isCausal()) {
                node.addAttribute(intAttr("is_causal", 1));
            }
        }
        if (layer.scale() != null) {
            node.addAttribute(floatAttr("scale", layer.scale()));
        }
        graph.addNode(node);
        return out;
    }

    /** A two-layer MLP with residual: x + W2 · Relu(W1 x). */
    public String mlp(String x, long width) {
        int id = counter++;
        String h = op("Relu", op("MatMul", x, weight("w1_" + id, 0.3f, width, 2 * width)));
        return op("Add", x, op("MatMul", h, weight("w2_" + id, 0.3f, 2 * width, width)));
    }

    public ModelProto build() {
        ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(10).setProducerName("sagestudio-tests")
                .setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(23));
        if (usesMicrosoftDomain) {
            model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
        }
        return model.build();
    }

    public OnnxModel model(String source) {
        return OnnxModel.of(build(), Path.of(".").toAbsolutePath(), source);
    }
}
