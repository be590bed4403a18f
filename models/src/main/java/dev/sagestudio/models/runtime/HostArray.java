package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.models.onnx.ElementTypes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor of any ONNX element type in Java memory: element type, shape and little-endian bytes.
 * This is how whole-model inputs and outputs cross the API; between steps tensors stay in ONNX
 * Runtime's memory.
 */
public final class HostArray {
    private final int elemType;
    private final long[] shape;
    private final byte[] bytes;

    private HostArray(int elemType, long[] shape, byte[] bytes) {
        this.elemType = elemType;
        this.shape = shape;
        this.bytes = bytes;
    }

    /** Wraps {@code bytes} (not copied), checking the size against type and shape. */
    public static HostArray of(int elemType, long[] shape, byte[] bytes) {
        Objects.requireNonNull(shape, "shape");
        int width = ElementTypes.bytes(elemType);
        if (width < 0) {
            throw new IllegalArgumentException("element type " + ElementTypes.label(elemType)
                    + " cannot be passed as a host array");
        }
        long count = elementCount(shape);
        if (count * width != bytes.length) {
            throw new IllegalArgumentException(ElementTypes.label(elemType) + " tensor of shape "
                    + Arrays.toString(shape) + " needs " + count * width + " bytes, got " + bytes.length);
        }
        return new HostArray(elemType, shape.clone(), bytes);
    }

    /** A float tensor of the given element type (float32, float16, bfloat16 or float64) from values. */
    public static HostArray ofFloats(int elemType, long[] shape, float[] values) {
        long count = elementCount(shape);
        if (count != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + count + " values, got "
                    + values.length);
        }
        int width = ElementTypes.bytes(elemType);
        ByteBuffer out = ByteBuffer.allocate(values.length * Math.max(width, 1)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (elemType) {
                case ElementTypes.FLOAT -> out.putFloat(v);
                case ElementTypes.FLOAT16 -> out.putShort(Fp16.fromFloat(v));
                case ElementTypes.BFLOAT16 -> out.putShort(Bf16.fromFloat(v));
                case ElementTypes.DOUBLE -> out.putDouble(v);
                default -> throw new IllegalArgumentException("not a floating-point element type: "
                        + ElementTypes.label(elemType));
            }
        }
        return new HostArray(elemType, shape.clone(), out.array());
    }

    public static HostArray ofLongs(long[] shape, long[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            out.putLong(v);
        }
        return of(ElementTypes.INT64, shape, out.array());
    }

    static long elementCount(long[] shape) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    public int elemType() {
        return elemType;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** The bytes (little-endian), not copied. */
    public byte[] bytes() {
        return bytes;
    }

    public boolean isFloatingPoint() {
        return elemType == ElementTypes.FLOAT || elemType == ElementTypes.FLOAT16
                || elemType == ElementTypes.BFLOAT16 || elemType == ElementTypes.DOUBLE;
    }

    /** Values widened to double; for floating-point and integer types. */
    public double[] toDoubles() {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) elementCount();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (elemType) {
                case ElementTypes.FLOAT -> in.getFloat();
                case ElementTypes.FLOAT16 -> Fp16.toFloat(in.getShort());
                case ElementTypes.BFLOAT16 -> Bf16.toFloat(in.getShort());
                case ElementTypes.DOUBLE -> in.getDouble();
                case ElementTypes.INT64 -> in.getLong();
                case ElementTypes.INT32 -> in.getInt();
                case ElementTypes.INT8 -> in.get();
                case ElementTypes.UINT8, ElementTypes.BOOL -> in.get() & 0xff;
                default -> throw new IllegalStateException("cannot read " + ElementTypes.label(elemType)
                        + " as numbers");
            };
        }
        return out;
    }

    public String describe() {
        return ElementTypes.label(elemType) + " " + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "HostArray(" + describe() + ")";
    }
}
