package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.attention.tensor.Layout;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The {@code check_finite_*} kernels against a count made on the host: every dtype, NaN, +Inf and -Inf, aligned and
 * unaligned arrays, slots that add up until read and are clear after; and what a check costs next to the attention
 * kernel whose output it checks (figures to stdout for docs/RELIABILITY.md).
 */
@Tag("gpu")
class DeviceFiniteCheckGpuTest {

    /** {@code n} finite values of {@code dtype} with NaN at 777, -Inf at 3 and +Inf at n-1, as raw bytes. */
    private static byte[] valuesWithBadOnes(DType dtype, int n) {
        int size = dtype.bytes();
        byte[] bytes = new byte[n * size];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = i == 777 ? Float.NaN : i == 3 ? Float.NEGATIVE_INFINITY : i == n - 1 ? Float.POSITIVE_INFINITY
                    : (float) Math.sin(i) * 60000f; // near fp16's largest finite value, never beyond it
            switch (dtype) {
                case FP32 -> b.putFloat(i * size, v);
                case FP16 -> b.putShort(i * size, Fp16.fromFloat(v));
                case BF16 -> b.putShort(i * size, Bf16.fromFloat(v));
            }
        }
        return bytes;
    }

    @Test
    void countsAndLocatesNonFiniteValuesOfEveryDtypeAlignedOrNot() {
        try (GpuBackends gpu = GpuTestSupport.backendsOrSkip();
             CudaStream stream = gpu.context().createStream();
             DeviceFiniteCheck check = DeviceFiniteCheck.create(gpu.context(), 4)) {
            for (DType dtype : DType.values()) {
                for (int n : new int[] {1000, 100_003, 3_000_001}) {
                    byte[] host = valuesWithBadOnes(dtype, n);
                    try (DeviceBuffer buffer = gpu.context().allocate(host.length + 16L)) {
                        // slot 0: the array at an aligned address; slot 2: one element further on (unaligned)
                        try (DeviceBuffer aligned = buffer.slice(0, host.length)) {
                            aligned.copyFromHost(host);
                        }
                        check.enqueue(0, buffer.address(), n, dtype, stream);
                        check.enqueue(2, buffer.address() + dtype.bytes(), n - 1, dtype, stream);
                        List<DeviceFiniteCheck.Finding> found = check.takeFindings(stream);
                        String label = dtype + " n=" + n;
                        assertEquals(List.of(new DeviceFiniteCheck.Finding(0, 3, 3, "-Inf"),
                                new DeviceFiniteCheck.Finding(2, 3, 2, "-Inf")), found, label);
                        // the NaN alone: from element 4 on, in two checks into one slot that add up
                        check.enqueue(1, buffer.address() + 4L * dtype.bytes(), 800, dtype, stream);
                        check.enqueue(1, buffer.address() + 4L * dtype.bytes(), 800, dtype, stream);
                        assertEquals(List.of(new DeviceFiniteCheck.Finding(1, 2, 773, "NaN")),
                                check.takeFindings(stream), label);
                        check.enqueue(3, buffer.address() + (n - 1L) * dtype.bytes(), 1, dtype, stream);
                        assertEquals(List.of(new DeviceFiniteCheck.Finding(3, 1, 0, "+Inf")),
                                check.takeFindings(stream), label);
                        assertEquals(List.of(), check.takeFindings(stream), label + ": slots clear after a read");
                        check.enqueue(0, buffer.address() + 4L * dtype.bytes(), 700, dtype, stream);
                        assertEquals(List.of(), check.takeFindings(stream), label + ": finite values");
                    }
                }
            }
        }
    }

    @Test
    void aCheckCostsLittleNextToTheAttentionKernelWhoseOutputItReads() {
        try (GpuBackends gpu = GpuTestSupport.backendsOrSkip();
             CudaStream stream = gpu.context().createStream();
             DeviceFiniteCheck check = DeviceFiniteCheck.create(gpu.context(), 1);
             CudaEvent start = gpu.context().createEvent();
             CudaEvent mid = gpu.context().createEvent();
             CudaEvent end = gpu.context().createEvent()) {
            // the bundled video model's attention (2048 tokens, 4 heads of 128, batch 2) and a larger one
            int[][] shapes = {{2, 4, 2048, 128}, {2, 24, 4096, 128}};
            var backend = gpu.backend(GpuAttentionBackend.Variant.SAGE_INT8_FP16);
            for (int[] s : shapes) {
                AttentionRequest r = GpuTestInputs.request(5, InputDistribution.BIASED_K, DType.FP16, Layout.HND,
                        s[0], s[1], s[1], s[2], s[2], s[3], false);
                try (DeviceTensor q = DeviceTensor.upload(gpu.context(), r.q());
                     DeviceTensor k = DeviceTensor.upload(gpu.context(), r.k());
                     DeviceTensor v = DeviceTensor.upload(gpu.context(), r.v());
                     DeviceTensor o = DeviceTensor.allocate(gpu.context(), DType.FP16, Layout.HND, s[0], s[1], s[2],
                             s[3])) {
                    int reps = 50;
                    for (int i = 0; i < 5; i++) { // warm-up
                        backend.attend(q, k, v, o, false, r.softmaxScale(), stream);
                        check.enqueue(0, o.buffer().address(), o.elementCount(), DType.FP16, stream);
                    }
                    start.record(stream);
                    for (int i = 0; i < reps; i++) {
                        backend.attend(q, k, v, o, false, r.softmaxScale(), stream);
                    }
                    mid.record(stream);
                    for (int i = 0; i < reps; i++) {
                        check.enqueue(0, o.buffer().address(), o.elementCount(), DType.FP16, stream);
                    }
                    end.record(stream);
                    end.synchronize();
                    double attention = mid.elapsedMillisSince(start) * 1000.0 / reps;
                    double checking = end.elapsedMillisSince(mid) * 1000.0 / reps;
                    long t0 = System.nanoTime();
                    int reads = 200;
                    for (int i = 0; i < reads; i++) {
                        check.takeFindings(stream);
                    }
                    double readBack = (System.nanoTime() - t0) / 1000.0 / reads;
                    System.out.printf(Locale.ROOT, "finite check on %s: B%d H%d N%d D%d fp16 (%.1f MiB): attention"
                            + " (sage-int8-fp16, all kernels) %.1f us, check %.1f us (%.2f%%); reading the slots back"
                            + " (sync + 16 B + clear) %.1f us%n", gpu.context().device().name(), s[0], s[1], s[2],
                            s[3], o.elementCount() * 2 / 1048576.0, attention, checking, 100 * checking / attention,
                            readBack);
                    assertTrue(checking < 0.1 * attention, "a check costs " + checking + " us, attention "
                            + attention + " us");
                }
            }
        }
    }
}
