package dev.sagestudio.models.runtime.device;

import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceFiniteCheck;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.runtime.AttentionOutputCheck;
import dev.sagestudio.models.runtime.OrtTensor;
import java.util.List;
import java.util.Objects;

/**
 * {@link AttentionOutputCheck} on the GPU: the {@code check_finite_*} kernels ({@link DeviceFiniteCheck}) count each
 * attention output's NaN/Inf on the device, on the stream the output was written on; a read brings back 16 bytes
 * per attention node.
 */
final class GpuOutputCheck implements AttentionOutputCheck {
    private final GpuContext context;
    private final DeviceFiniteCheck check;
    private volatile boolean closed;

    GpuOutputCheck(GpuContext context, int slots) {
        this.context = Objects.requireNonNull(context, "context");
        this.check = DeviceFiniteCheck.create(context, slots);
    }

    @Override
    public int slots() {
        return check.slots();
    }

    @Override
    public void enqueue(int slot, OrtTensor output, long stream) {
        DType dtype = ElementTypes.attentionDType(output.elemType()).orElseThrow(() -> new IllegalArgumentException(
                "an attention output of element type " + output.elemType() + " cannot be checked for NaN/Inf"));
        try (CudaStream onto = context.borrowStream(stream)) {
            check.enqueue(slot, output.address(), output.byteSize() / dtype.bytes(), dtype, onto);
        }
    }

    @Override
    public List<Finding> takeFindings(long stream) {
        try (CudaStream from = context.borrowStream(stream)) {
            return check.takeFindings(from).stream()
                    .map(f -> new Finding(f.slot(), f.count(), f.firstIndex(), f.firstValue())).toList();
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        check.close();
    }
}
