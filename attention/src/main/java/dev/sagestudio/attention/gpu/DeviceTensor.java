package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Objects;

/**
 * A 4-D attention tensor (batch, heads, tokens, headDim) in device memory, densely packed in
 * {@code layout}. It does not own its buffer: whoever made the buffer closes it (for tensors made by
 * {@link #upload} or {@link #allocate}, closing the tensor closes its buffer).
 */
public record DeviceTensor(DeviceBuffer buffer, DType dtype, Layout layout, int batch, int heads, int tokens,
                           int headDim) implements AutoCloseable {

    public DeviceTensor {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(layout, "layout");
        if (batch <= 0 || heads <= 0 || tokens <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("device tensor extents must be positive: [batch=" + batch + ", heads="
                    + heads + ", tokens=" + tokens + ", headDim=" + headDim + "]");
        }
        long needed = (long) batch * heads * tokens * headDim * dtype.bytes();
        if (buffer.bytes() < needed) {
            throw new IllegalArgumentException("device tensor " + dtype.label() + " " + layout + " [" + batch + ", "
                    + heads + ", " + tokens + ", " + headDim + "] needs " + needed + " bytes, but its buffer has "
                    + buffer.bytes());
        }
    }

    /** A new tensor with a freshly allocated buffer that {@link #close()} frees. */
    public static DeviceTensor allocate(GpuContext context, DType dtype, Layout layout, int batch, int heads,
                                        int tokens, int headDim) {
        long bytes = (long) batch * heads * tokens * headDim * dtype.bytes();
        return new DeviceTensor(context.allocate(bytes), dtype, layout, batch, heads, tokens, headDim);
    }

    /** Copies {@code host} to a new device tensor of the same dtype and layout. */
    public static DeviceTensor upload(GpuContext context, HostTensor host) {
        DeviceTensor tensor = allocate(context, host.dtype(), host.layout(), host.batch(), host.heads(),
                host.tokens(), host.headDim());
        try {
            tensor.copyFrom(host);
            return tensor;
        } catch (RuntimeException e) {
            tensor.close();
            throw e;
        }
    }

    /** Overwrites this tensor with {@code host}, which must have the same dtype, layout and extents. */
    public void copyFrom(HostTensor host) {
        if (host.dtype() != dtype || host.layout() != layout || host.batch() != batch || host.heads() != heads
                || host.tokens() != tokens || host.headDim() != headDim) {
            throw new IllegalArgumentException("cannot copy " + host.describe() + " into device tensor " + describe());
        }
        float[] values = host.toArray();
        switch (dtype) {
            case FP32 -> buffer.copyFromHost(values);
            case FP16 -> {
                short[] bits = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    bits[i] = Fp16.fromFloat(values[i]);
                }
                buffer.copyFromHost(bits);
            }
            case BF16 -> {
                short[] bits = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    bits[i] = Bf16.fromFloat(values[i]);
                }
                buffer.copyFromHost(bits);
            }
        }
    }

    /** Copies this tensor to host memory. */
    public HostTensor download() {
        int count = Math.toIntExact(elementCount());
        float[] values = new float[count];
        switch (dtype) {
            case FP32 -> buffer.copyToHost(values);
            case FP16 -> {
                short[] bits = new short[count];
                buffer.copyToHost(bits);
                for (int i = 0; i < count; i++) {
                    values[i] = Fp16.toFloat(bits[i]);
                }
            }
            case BF16 -> {
                short[] bits = new short[count];
                buffer.copyToHost(bits);
                for (int i = 0; i < count; i++) {
                    values[i] = Bf16.toFloat(bits[i]);
                }
            }
        }
        // Values are already exact in dtype, so HostTensor's rounding leaves them (and NaNs) as they are.
        return HostTensor.of(dtype, layout, batch, heads, tokens, headDim, values);
    }

    /** Writes NaN into every element, so elements a kernel fails to write stand out. */
    public void poisonWithNaN(CudaStream stream) {
        long bytes = elementCount() * dtype.bytes();
        try (DeviceBuffer view = buffer.slice(0, bytes)) {
            switch (dtype) {
                case FP32 -> view.fill32(0x7fc00000, stream);
                case FP16 -> view.fill16((short) 0x7e00, stream);
                case BF16 -> view.fill16((short) 0x7fc0, stream);
            }
        }
    }

    public long elementCount() {
        return (long) batch * heads * tokens * headDim;
    }

    /** Element stride between batches. */
    public long batchStride() {
        return (long) heads * tokens * headDim;
    }

    /** Element stride between heads. */
    public long headStride() {
        return layout == Layout.HND ? (long) tokens * headDim : headDim;
    }

    /** Element stride between tokens. */
    public long tokenStride() {
        return layout == Layout.HND ? headDim : (long) heads * headDim;
    }

    public String describe() {
        return dtype.label() + " " + layout + " [" + batch + ", " + heads + ", " + tokens + ", " + headDim + "] on GPU";
    }

    /** Closes the buffer (frees it if the buffer owns its memory). */
    @Override
    public void close() {
        buffer.close();
    }
}
