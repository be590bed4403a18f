package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.ElementTypes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.onnxruntime.LongVector;
import org.bytedeco.onnxruntime.TensorTypeAndShapeInfo;
import org.bytedeco.onnxruntime.Value;

/**
 * A tensor owned by ONNX Runtime (an {@code OrtValue}) in host memory, or in device memory on the
 * device path ({@link #isHost()} false). Closing it releases the
 * memory; every tensor is closed exactly once by whoever holds it.
 */
public final class OrtTensor implements AutoCloseable {
    private Value value;
    /** Memory we allocated and lent to ORT (tensors we create); null for tensors ORT allocated. */
    private AutoCloseable ownedMemory;
    private final int elemType;
    private final long[] shape;
    private final boolean host;

    /**
     * Wraps a value; {@code host} says where its memory is, as the creator knows it. (Asking ORT via
     * GetTensorMemoryInfo is avoided: the binding's wrapper for the returned info releases memory
     * the value owns, a double free.)
     */
    OrtTensor(Value value, boolean host) {
        this.value = value;
        this.host = host;
        try (TensorTypeAndShapeInfo info = value.GetTensorTypeAndShapeInfo()) {
            this.elemType = info.GetElementType();
            LongVector dims = info.GetShape();
            long[] s = new long[(int) dims.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = dims.get(i);
            }
            dims.close();
            this.shape = s;
        }
    }

    /** A tensor over memory we allocated ({@code owner}), which {@link #close} releases after the value. */
    static OrtTensor over(Value value, boolean host, AutoCloseable owner) {
        OrtTensor tensor = new OrtTensor(value, host);
        tensor.ownedMemory = owner;
        return tensor;
    }

    /** Whether the tensor's memory is host memory (a device tensor cannot be read by {@link #buffer}). */
    public boolean isHost() {
        return host;
    }

    /** A new ORT-owned tensor holding a copy of {@code array}. */
    public static OrtTensor copyOf(HostArray array) {
        OrtTensor tensor = allocate(array.elemType(), array.shape());
        tensor.buffer().put(array.bytes());
        return tensor;
    }

    /** A new ORT-owned tensor of the given type and shape; contents undefined. */
    public static OrtTensor allocate(int elemType, long[] shape) {
        if (ElementTypes.bytes(elemType) < 0) {
            throw new IllegalArgumentException("cannot allocate a " + ElementTypes.label(elemType) + " tensor");
        }
        long bytes = HostArray.elementCount(shape) * ElementTypes.bytes(elemType);
        BytePointer memory = new BytePointer(Math.max(bytes, 1));
        Value value = Value.CreateTensor(OrtRuntime.hostMemory().asOrtMemoryInfo(), memory, bytes, shape.clone(), shape.length,
                elemType);
        OrtTensor tensor = new OrtTensor(value, true);
        tensor.ownedMemory = memory;
        return tensor;
    }

    public int elemType() {
        return elemType;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long byteSize() {
        return HostArray.elementCount(shape) * ElementTypes.bytes(elemType);
    }

    /** A little-endian view of the tensor's memory (no copy); valid until {@link #close}. */
    public ByteBuffer buffer() {
        requireOpen();
        if (!host) {
            throw new IllegalStateException("tensor " + describe() + " is in device memory; a host view would need"
                    + " a copy, which this path never makes silently");
        }
        long size = byteSize();
        if (size == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        Pointer raw = value.GetTensorMutableRawData();
        return new BytePointer(raw).capacity(size).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Address of the tensor's first element (host or device memory, see {@link #isHost}). */
    public long address() {
        requireOpen();
        return value.GetTensorMutableRawData().address();
    }

    /** A Java copy of the tensor. */
    public HostArray toHost() {
        byte[] bytes = new byte[(int) byteSize()];
        buffer().get(bytes);
        return HostArray.of(elemType, shape, bytes);
    }

    Value value() {
        requireOpen();
        return value;
    }

    private void requireOpen() {
        if (value == null) {
            throw new IllegalStateException("tensor " + describe() + " was already closed");
        }
    }

    public String describe() {
        return ElementTypes.label(elemType) + " " + Arrays.toString(shape);
    }

    @Override
    public void close() {
        if (value != null) {
            value.close();
            value = null;
        }
        if (ownedMemory != null) {
            AutoCloseable owner = ownedMemory;
            ownedMemory = null;
            try {
                owner.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("could not release the memory of tensor " + describe(), e);
            }
        }
    }
}
