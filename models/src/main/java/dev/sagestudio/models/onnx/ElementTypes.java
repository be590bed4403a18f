package dev.sagestudio.models.onnx;

import dev.sagestudio.attention.tensor.DType;
import java.util.Optional;

/** ONNX {@code TensorProto.DataType} codes that SageStudio names or converts. */
public final class ElementTypes {
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;
    public static final int INT8 = 3;
    public static final int INT32 = 6;
    public static final int INT64 = 7;
    public static final int BOOL = 9;
    public static final int FLOAT16 = 10;
    public static final int DOUBLE = 11;
    public static final int BFLOAT16 = 16;

    private ElementTypes() {
    }

    /** The attention dtype for an ONNX element type, if attention can run on it. */
    public static Optional<DType> attentionDType(int elemType) {
        return switch (elemType) {
            case FLOAT -> Optional.of(DType.FP32);
            case FLOAT16 -> Optional.of(DType.FP16);
            case BFLOAT16 -> Optional.of(DType.BF16);
            default -> Optional.empty();
        };
    }

    public static int of(DType dtype) {
        return switch (dtype) {
            case FP32 -> FLOAT;
            case FP16 -> FLOAT16;
            case BF16 -> BFLOAT16;
        };
    }

    /** Bytes per element, or -1 for types without a fixed width (strings, packed 4-bit). */
    public static int bytes(int elemType) {
        return switch (elemType) {
            case FLOAT, INT32, 12 -> 4;
            case UINT8, INT8, BOOL, 17, 18, 19, 20 -> 1;
            case 4, 5, FLOAT16, BFLOAT16 -> 2;
            case INT64, DOUBLE, 13, 14 -> 8;
            case 15 -> 16;
            default -> -1;
        };
    }

    public static String label(int elemType) {
        return switch (elemType) {
            case 0 -> "undefined";
            case FLOAT -> "float32";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case 8 -> "string";
            case BOOL -> "bool";
            case FLOAT16 -> "float16";
            case DOUBLE -> "float64";
            case 12 -> "uint32";
            case 13 -> "uint64";
            case BFLOAT16 -> "bfloat16";
            default -> "type#" + elemType;
        };
    }
}
