package dev.sagestudio.models.onnx;

import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The values of a graph's small constants (initializers stored in the file and {@code Constant}
 * nodes), read as doubles: what scale factors and masks are made of.
 */
final class ConstantValues {
    /** Larger constants are not read (a mask over 4k×4k tokens is 16M elements; that is the limit). */
    static final long MAX_ELEMENTS = 1L << 24;

    /** A constant's shape and values (row-major). */
    record Constant(long[] dims, double[] values) {
        boolean isScalar() {
            return values.length == 1;
        }
    }

    private final Map<String, TensorProto> tensors = new HashMap<>();
    /** Where external constants are read from, or null: external constants are then not read. */
    private final java.nio.file.Path externalFolder;

    ConstantValues(GraphProto graph) {
        this(graph, null);
    }

    /**
     * As {@link #ConstantValues(GraphProto)}, and small constants stored in external data files under
     * {@code externalFolder} are read there (torch's dynamo exporter writes every initializer to the data file).
     */
    ConstantValues(GraphProto graph, java.nio.file.Path externalFolder) {
        this.externalFolder = externalFolder;
        for (TensorProto t : graph.getInitializerList()) {
            tensors.put(t.getName(), t);
        }
        for (NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals("Constant") && OnnxModel.normalizeDomain(node.getDomain()).isEmpty()
                    && node.getOutputCount() == 1) {
                constantNodeTensor(node).ifPresent(t -> tensors.put(node.getOutput(0), t));
            }
        }
    }

    /** Whether {@code name} is a constant of the graph (it may still be too large or external to read). */
    boolean isConstant(String name) {
        return tensors.containsKey(name);
    }

    Optional<Constant> get(String name) {
        return get(name, MAX_ELEMENTS);
    }

    /** The constant's values if it has at most {@code maxElements} (a scale is one value, not a weight matrix). */
    Optional<Constant> get(String name, long maxElements) {
        TensorProto t = tensors.get(name);
        if (t == null) {
            return Optional.empty();
        }
        long count = 1;
        for (long d : t.getDimsList()) {
            count *= d;
        }
        if (count > maxElements) {
            return Optional.empty();
        }
        if (ExternalData.isExternal(t) && externalFolder != null) {
            byte[] bytes = ExternalData.read(ExternalData.locate(t, externalFolder));
            return read(t.toBuilder().clearExternalData().setDataLocation(TensorProto.DataLocation.DEFAULT)
                    .setRawData(com.google.protobuf.ByteString.copyFrom(bytes)).build());
        }
        return read(t);
    }

    private static Optional<TensorProto> constantNodeTensor(NodeProto node) {
        for (AttributeProto a : node.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return Optional.of(a.getT());
                case "value_float":
                    return Optional.of(TensorProto.newBuilder().setDataType(ElementTypes.FLOAT).addFloatData(a.getF())
                            .build());
                case "value_int":
                    return Optional.of(TensorProto.newBuilder().setDataType(ElementTypes.INT64).addInt64Data(a.getI())
                            .build());
                case "value_floats": {
                    TensorProto.Builder t = TensorProto.newBuilder().setDataType(ElementTypes.FLOAT)
                            .addDims(a.getFloatsCount());
                    a.getFloatsList().forEach(t::addFloatData);
                    return Optional.of(t.build());
                }
                case "value_ints": {
                    TensorProto.Builder t = TensorProto.newBuilder().setDataType(ElementTypes.INT64)
                            .addDims(a.getIntsCount());
                    a.getIntsList().forEach(t::addInt64Data);
                    return Optional.of(t.build());
                }
                default:
                    break;
            }
        }
        return Optional.empty();
    }

    static Optional<Constant> read(TensorProto t) {
        if (ExternalData.isExternal(t)) {
            return Optional.empty();
        }
        long count = 1;
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            count *= dims[i];
        }
        if (count > MAX_ELEMENTS) {
            return Optional.empty();
        }
        double[] values = new double[(int) count];
        boolean raw = t.hasRawData();
        ByteBuffer bytes = raw ? t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN) : null;
        int type = t.getDataType();
        if (raw && bytes.remaining() < count * Math.max(1, ElementTypes.bytes(type))) {
            return Optional.empty();
        }
        for (int i = 0; i < count; i++) {
            Double v = raw ? rawValue(bytes, type, i) : typedValue(t, type, i);
            if (v == null) {
                return Optional.empty();
            }
            values[i] = v;
        }
        return Optional.of(new Constant(dims, values));
    }

    private static Double rawValue(ByteBuffer bytes, int type, int i) {
        return switch (type) {
            case ElementTypes.FLOAT -> (double) bytes.getFloat(4 * i);
            case ElementTypes.DOUBLE -> bytes.getDouble(8 * i);
            case ElementTypes.INT64 -> (double) bytes.getLong(8 * i);
            case ElementTypes.INT32 -> (double) bytes.getInt(4 * i);
            case ElementTypes.BOOL, ElementTypes.UINT8 -> (double) (bytes.get(i) & 0xff);
            case ElementTypes.FLOAT16 -> (double) Fp16.toFloat(bytes.getShort(2 * i));
            case ElementTypes.BFLOAT16 -> (double) Bf16.toFloat(bytes.getShort(2 * i));
            default -> null;
        };
    }

    /** A value from the typed fields (fp16, bf16 and bool are stored in int32_data). */
    private static Double typedValue(TensorProto t, int type, int i) {
        return switch (type) {
            case ElementTypes.FLOAT -> i < t.getFloatDataCount() ? (double) t.getFloatData(i) : null;
            case ElementTypes.DOUBLE -> i < t.getDoubleDataCount() ? t.getDoubleData(i) : null;
            case ElementTypes.INT64 -> i < t.getInt64DataCount() ? (double) t.getInt64Data(i) : null;
            case ElementTypes.INT32, ElementTypes.BOOL, ElementTypes.UINT8 ->
                    i < t.getInt32DataCount() ? (double) t.getInt32Data(i) : null;
            case ElementTypes.FLOAT16 -> i < t.getInt32DataCount() ? (double) Fp16.toFloat((short) t.getInt32Data(i))
                    : null;
            case ElementTypes.BFLOAT16 -> i < t.getInt32DataCount() ? (double) Bf16.toFloat((short) t.getInt32Data(i))
                    : null;
            default -> null;
        };
    }
}
