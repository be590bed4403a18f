package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.ElementTypes;
import java.util.Objects;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.Value;

/**
 * Where a partitioned model keeps the tensors handed between its steps: the memory ONNX Runtime is
 * told to bind segment outputs in, where attention outputs are allocated, and the only places data
 * crosses between the caller's Java arrays and that memory (model inputs in, model outputs out).
 *
 * <p>{@link #host()} is the CPU path. {@link #device} keeps every tensor in a {@link DeviceMemory}
 * described to ONNX Runtime by {@code ortMemory} — on the GPU, CUDA memory described by
 * {@link OrtRuntime#cudaMemory}.
 */
public interface TensorMemory {

    /** How ONNX Runtime is told where to allocate segment outputs. */
    MemoryInfo ortMemory();

    /** Whether tensors in this memory can be read from Java without a copy. */
    boolean isHost();

    /** A new tensor of this memory; contents undefined. */
    OrtTensor allocate(int elemType, long[] shape);

    /** A new tensor holding a copy of {@code array}. */
    OrtTensor upload(HostArray array);

    /** A Java copy of {@code tensor} (which must live in this memory). */
    HostArray download(OrtTensor tensor);

    /** ONNX Runtime's host memory: tensors are plain host buffers. */
    static TensorMemory host() {
        return HostMemory.INSTANCE;
    }

    /**
     * Tensors in {@code memory}, described to ONNX Runtime as {@code ortMemory};
     * {@code hostVisible} says whether Java may read them in place (false for device memory).
     */
    static TensorMemory device(DeviceMemory memory, MemoryInfo ortMemory, boolean hostVisible) {
        return new OnDevice(memory, ortMemory, hostVisible);
    }

    /** The CPU path. */
    final class HostMemory implements TensorMemory {
        static final HostMemory INSTANCE = new HostMemory();

        private HostMemory() {}

        @Override
        public MemoryInfo ortMemory() {
            return OrtRuntime.hostMemory();
        }

        @Override
        public boolean isHost() {
            return true;
        }

        @Override
        public OrtTensor allocate(int elemType, long[] shape) {
            return OrtTensor.allocate(elemType, shape);
        }

        @Override
        public OrtTensor upload(HostArray array) {
            return OrtTensor.copyOf(array);
        }

        @Override
        public HostArray download(OrtTensor tensor) {
            return tensor.toHost();
        }

        @Override
        public String toString() {
            return "host memory";
        }
    }

    /** Tensors in a {@link DeviceMemory}, wrapped as ONNX Runtime values over our allocations. */
    final class OnDevice implements TensorMemory {
        private final DeviceMemory memory;
        private final MemoryInfo ortMemory;
        private final boolean hostVisible;

        OnDevice(DeviceMemory memory, MemoryInfo ortMemory, boolean hostVisible) {
            this.memory = Objects.requireNonNull(memory, "memory");
            this.ortMemory = Objects.requireNonNull(ortMemory, "ortMemory");
            this.hostVisible = hostVisible;
        }

        @Override
        public MemoryInfo ortMemory() {
            return ortMemory;
        }

        @Override
        public boolean isHost() {
            return hostVisible;
        }

        @Override
        public OrtTensor allocate(int elemType, long[] shape) {
            if (ElementTypes.bytes(elemType) < 0) {
                throw new IllegalArgumentException("cannot allocate a " + ElementTypes.label(elemType) + " tensor");
            }
            long bytes = HostArray.elementCount(shape) * ElementTypes.bytes(elemType);
            DeviceMemory.Allocation allocation = memory.allocate(Math.max(bytes, 1));
            try {
                Value value = Value.CreateTensor(ortMemory.asOrtMemoryInfo(), NativeAddress.of(allocation.address(), bytes),
                        bytes, shape.clone(), shape.length, elemType);
                return OrtTensor.over(value, hostVisible, allocation);
            } catch (RuntimeException e) {
                allocation.close();
                throw new OrtRuntimeException("ONNX Runtime could not wrap " + bytes + " bytes of " + memory.describe()
                        + " as a " + ElementTypes.label(elemType) + " tensor: " + e.getMessage(), e);
            }
        }

        @Override
        public OrtTensor upload(HostArray array) {
            OrtTensor tensor = allocate(array.elemType(), array.shape());
            try {
                if (array.bytes().length > 0) {
                    memory.copyIn(tensor.address(), array.bytes());
                }
                return tensor;
            } catch (RuntimeException e) {
                tensor.close();
                throw e;
            }
        }

        @Override
        public HostArray download(OrtTensor tensor) {
            byte[] bytes = new byte[Math.toIntExact(tensor.byteSize())];
            if (bytes.length > 0) {
                memory.copyOut(tensor.address(), bytes);
            }
            return HostArray.of(tensor.elemType(), tensor.shape(), bytes);
        }

        @Override
        public String toString() {
            return memory.describe();
        }
    }
}
