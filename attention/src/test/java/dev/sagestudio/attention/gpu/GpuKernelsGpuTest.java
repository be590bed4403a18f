package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.cpu.PvMode;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.cpu.SageConfig;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import dev.sagestudio.attention.gpu.GpuAttentionBackend.Variant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every GPU kernel against the float64 reference ({@code cpu-reference}) on fresh random inputs with
 * biased K ({@code biased-k}: K channel bias σ 50, Q σ 2, V σ 1), for
 * every dtype, both layouts, causal and not, and edge shapes. Outputs are poisoned with NaN before each
 * launch, so an unwritten element fails the "all finite" check.
 */
@Tag("gpu")
class GpuKernelsGpuTest {
    private static GpuBackends gpu;
    private static final Map<String, double[]> EXACT = new ConcurrentHashMap<>();
    private static final ReferenceAttention REFERENCE = new ReferenceAttention();

    record Shape(String label, int batch, int qHeads, int kvHeads, int qLen, int kvLen, int headDim) {}

    static final List<Shape> SHAPES = List.of(
            new Shape("N=256 D=64", 1, 4, 4, 256, 256, 64),
            new Shape("N=256 D=128", 1, 4, 4, 256, 256, 128),
            new Shape("tail N=1000 D=128", 1, 2, 2, 1000, 1000, 128),
            new Shape("tail N=77 B=2 D=64", 2, 2, 2, 77, 77, 64),
            new Shape("single token N=1 D=128", 1, 2, 2, 1, 1, 128),
            new Shape("decode Nq=1 Nkv=300 D=64", 1, 2, 2, 1, 300, 64),
            new Shape("Nq=100 < Nkv=333 D=128", 1, 2, 2, 100, 333, 128),
            new Shape("Nq=300 > Nkv=100 D=64", 1, 2, 2, 300, 100, 64),
            new Shape("GQA Hq=8 Hkv=2 B=2 N=200 D=128", 2, 8, 2, 200, 200, 128),
            new Shape("N=2048 D=128", 1, 2, 2, 2048, 2048, 128));

    /**
     * Limits vs float64 on biased-K inputs. The sage-int8-fp16 limits are the targets (the CPU
     * emulator of the same numerics reaches cos ≥ 0.99995, relative L1 ≤ 0.009 on these shapes). flash-fp16
     * rounds fp32 inputs to fp16, which alone costs up to ~0.009 relative L1 with K biased by σ 50; bf16
     * runs P·V in bf16.
     */
    record Limits(double minCosine, double maxRelativeL1) {}

    static Limits limits(Variant variant, DType dtype) {
        return switch (variant) {
            case FLASH_FP16 -> switch (dtype) {
                case FP16 -> new Limits(0.99999, 0.003);
                case BF16 -> new Limits(0.9999, 0.01);
                case FP32 -> new Limits(0.9999, 0.02);
            };
            case SAGE_INT8_FP16, SAGE_INT8_FP16ACC -> new Limits(0.9999, 0.03);
            case SAGE_INT8_FP8 -> new Limits(0.9995, 0.04);
        };
    }

    @BeforeAll
    static void open() {
        gpu = GpuTestSupport.backendsOrSkip();
        System.out.println("GPU under test: " + gpu.context().device().describe());
    }

    @AfterAll
    static void close() {
        if (gpu != null) {
            gpu.close();
        }
    }

    @TestFactory
    Stream<DynamicNode> everyKernelMatchesTheFloat64Reference() {
        List<DynamicNode> perShape = new ArrayList<>();
        long seed = System.nanoTime(); // fresh inputs every run; the seed is printed with any failure
        for (Shape shape : SHAPES) {
            List<DynamicNode> tests = new ArrayList<>();
            for (DType dtype : DType.values()) {
                for (boolean causal : new boolean[] {false, true}) {
                    for (Layout layout : Layout.values()) {
                        for (Variant variant : Variant.values()) {
                            String name = variant.backendName() + " " + dtype.label() + " " + layout
                                    + (causal ? " causal" : "");
                            long caseSeed = seed ^ (shape.label().hashCode() * 31L + dtype.ordinal() * 7L
                                    + (causal ? 1 : 0));
                            tests.add(dynamicTest(name, () -> check(shape, dtype, layout, causal, variant, caseSeed)));
                        }
                    }
                }
            }
            perShape.add(DynamicContainer.dynamicContainer(shape.label(), tests));
        }
        return perShape.stream();
    }

    private static void check(Shape s, DType dtype, Layout layout, boolean causal, Variant variant, long seed) {
        AttentionRequest hnd = GpuTestInputs.request(seed, InputDistribution.BIASED_K, dtype, Layout.HND, s.batch(),
                s.qHeads(), s.kvHeads(), s.qLen(), s.kvLen(), s.headDim(), causal);
        double[] exact = EXACT.computeIfAbsent(seed + "/" + dtype, key -> REFERENCE.computeExact(hnd));
        AttentionRequest request = layout == Layout.HND ? hnd : new AttentionRequest(hnd.q().toLayout(layout),
                hnd.k().toLayout(layout), hnd.v().toLayout(layout), causal, hnd.softmaxScale());
        HostTensor out = gpu.backend(variant).compute(request);
        assertEquals(dtype, out.dtype());
        assertEquals(layout, out.layout());
        float[] values = out.toLayout(Layout.HND).toArray();
        AccuracyMetrics accuracy = AccuracyMetrics.compare(exact, values);
        Limits limits = limits(variant, dtype);
        String where = variant.backendName() + " on " + request.shape().describe() + " (seed " + seed + "): "
                + accuracy;
        System.out.println(where);
        assertEquals(0, GpuTestInputs.nonFinite(values), "unwritten or non-finite outputs: " + where);
        boolean withinLimits = accuracy.cosineSimilarity() >= limits.minCosine()
                && accuracy.relativeL1() <= limits.maxRelativeL1();
        if (withinLimits || !variant.quantized()) {
            assertTrue(accuracy.cosineSimilarity() >= limits.minCosine(), "cosine below " + limits.minCosine()
                    + ": " + where);
            assertTrue(accuracy.relativeL1() <= limits.maxRelativeL1(),
                    "relative L1 above " + limits.maxRelativeL1() + ": " + where);
            return;
        }
        // Some draws put the limit out of reach of the quantized algorithm itself (seen on the H100: one bf16
        // query row over 300 keys at D=64, cos 0.99988, bit-for-bit what the emulator gives). Then the kernel
        // is judged by its numerics: the emulator must miss the limit too, and the GPU must not be worse.
        AccuracyMetrics emulator = AccuracyMetrics.compare(exact,
                emulator(variant, hnd).compute(hnd).toArray());
        String both = where + "; emulator of the same numerics " + emulator;
        System.out.println("limit out of reach of the algorithm? " + both);
        assertTrue(emulator.cosineSimilarity() < limits.minCosine() || emulator.relativeL1() > limits.maxRelativeL1(),
                "the emulator meets the limits (cos >= " + limits.minCosine() + ", relative L1 <= "
                        + limits.maxRelativeL1() + ") but the GPU kernel does not: " + both);
        assertTrue(accuracy.cosineSimilarity() >= emulator.cosineSimilarity() - 1e-5
                && accuracy.relativeL1() <= 1.2 * emulator.relativeL1() + 1e-3, "GPU worse than its emulator: " + both);
    }

    /**
     * Student-t inputs (outliers in Q, K and V) cost SageAttention accuracy by design (the CPU emulator:
     * cos ≈ 0.992, relative L1 ≈ 0.07–0.09); the GPU kernels must lose no more than the numerics they
     * implement.
     */
    @TestFactory
    Stream<DynamicNode> quantizedKernelsLoseNoMoreThanTheirNumericsOnHeavyTailedInputs() {
        return Stream.of(Variant.SAGE_INT8_FP16, Variant.SAGE_INT8_FP16ACC, Variant.SAGE_INT8_FP8)
                .map(variant -> dynamicTest(variant.backendName(), () -> {
                    long seed = System.nanoTime();
                    AttentionRequest request = GpuTestInputs.request(seed, InputDistribution.OUTLIERS, DType.FP16,
                            Layout.HND, 1, 4, 4, 1024, 1024, 128, false);
                    float[] values = gpu.backend(variant).compute(request).toArray();
                    double[] exact = REFERENCE.computeExact(request);
                    AccuracyMetrics accuracy = AccuracyMetrics.compare(exact, values);
                    AccuracyMetrics emulator = AccuracyMetrics.compare(exact,
                            emulator(variant, request).compute(request).toArray());
                    String report = variant.backendName() + " on outliers (seed " + seed + "): GPU " + accuracy
                            + "; emulator " + emulator;
                    System.out.println(report);
                    assertEquals(0, GpuTestInputs.nonFinite(values), report);
                    assertTrue(accuracy.relativeL1() <= 1.2 * emulator.relativeL1() + 1e-3, report);
                    assertTrue(accuracy.cosineSimilarity() >= emulator.cosineSimilarity() - 1e-3, report);
                }));
    }

    /** The CPU emulator configured as each GPU kernel is built (ABI.md: per-warp Q scales, smoothed K). */
    static SageConfig emulated(Variant variant) {
        return switch (variant) {
            case SAGE_INT8_FP16 -> new SageConfig(true, Granularity.PER_WARP, PvMode.FP16);
            case SAGE_INT8_FP16ACC -> new SageConfig(true, Granularity.PER_WARP, PvMode.FP16_ACCUM_FP16);
            case SAGE_INT8_FP8 -> new SageConfig(true, Granularity.PER_WARP, PvMode.FP8);
            case FLASH_FP16 -> throw new IllegalArgumentException("flash-fp16 is not quantized");
        };
    }

    /**
     * The emulator of the kernel {@code variant} runs here for the request's head dim, with that kernel's softmax
     * steps as the build manifest gives them (64 keys for the mma.sync kernels; the Hopper wgmma kernels step 128
     * or 64 keys, depending on their schedule).
     */
    private static SageAttentionEmulator emulator(Variant variant, AttentionRequest request) {
        GpuAttentionBackend backend = gpu.backend(variant);
        String entry = backend.sageKernelEntry(request.shape().headDim());
        int keys = backend.context().kernels().kernel(entry).softmaxKeys();
        assertTrue(keys > 0, "the build manifest gives no softmax_keys for " + entry);
        return new SageAttentionEmulator(emulated(variant), keys);
    }

    @TestFactory
    Stream<DynamicNode> quantizedKernelsAgreeWithTheCpuEmulatorToRounding() {
        List<DynamicNode> tests = new ArrayList<>();
        for (Variant variant : List.of(Variant.SAGE_INT8_FP16, Variant.SAGE_INT8_FP16ACC, Variant.SAGE_INT8_FP8)) {
            for (boolean causal : new boolean[] {false, true}) {
                tests.add(dynamicTest(variant.backendName() + (causal ? " causal" : ""), () -> {
                    long seed = System.nanoTime();
                    AttentionRequest request = GpuTestInputs.request(seed, InputDistribution.BIASED_K, DType.FP16,
                            Layout.HND, 1, 2, 2, 333, 333, 128, causal);
                    float[] gpuOut = gpu.backend(variant).compute(request).toArray();
                    float[] emulatorOut = emulator(variant, request).compute(request).toArray();
                    double[] emulatorExact = new double[emulatorOut.length];
                    for (int i = 0; i < emulatorOut.length; i++) {
                        emulatorExact[i] = emulatorOut[i];
                    }
                    double[] exact = REFERENCE.computeExact(request);
                    AccuracyMetrics gpuVsEmulator = AccuracyMetrics.compare(emulatorExact, gpuOut);
                    AccuracyMetrics emulatorVsExact = AccuracyMetrics.compare(exact, emulatorOut);
                    String report = variant.backendName() + " (seed " + seed + "): GPU vs emulator " + gpuVsEmulator
                            + "; emulator vs exact " + emulatorVsExact;
                    System.out.println(report);
                    // Same quantization, different accumulation order and exp2 approximation: the GPU must sit
                    // much closer to the emulator than the emulator sits to the exact result.
                    assertTrue(gpuVsEmulator.relativeL1() <= Math.max(0.25 * emulatorVsExact.relativeL1(), 1e-3),
                            report);
                    assertTrue(gpuVsEmulator.cosineSimilarity() >= 0.99999, report);
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicNode> repeatedRunsGiveBitIdenticalResults() {
        return Stream.of(Variant.values()).map(variant -> dynamicTest(variant.backendName(), () -> {
            AttentionRequest request = GpuTestInputs.request(System.nanoTime(), InputDistribution.BIASED_K, DType.FP16,
                    Layout.NHD, 2, 8, 2, 1500, 1500, 128, true);
            GpuAttentionBackend backend = gpu.backend(variant);
            float[] first = backend.compute(request).toArray();
            for (int run = 0; run < 3; run++) {
                assertArrayEquals(first, backend.compute(request).toArray(), "run " + (run + 2) + " differs");
            }
        }));
    }

    @Test
    void theDevicePointerPathWritesIntoBorrowedBuffersAndMatchesTheHostPath() {
        AttentionRequest request = GpuTestInputs.request(System.nanoTime(), InputDistribution.BIASED_K, DType.BF16,
                Layout.NHD, 1, 8, 4, 333, 517, 64, true);
        GpuContext context = gpu.context();
        for (Variant variant : Variant.values()) {
            GpuAttentionBackend backend = gpu.backend(variant);
            HostTensor viaHost = backend.compute(request);
            HostTensor q = request.q();
            try (DeviceTensor dq = DeviceTensor.upload(context, q);
                 DeviceTensor dk = DeviceTensor.upload(context, request.k());
                 DeviceTensor dv = DeviceTensor.upload(context, request.v());
                 DeviceTensor owner = DeviceTensor.allocate(context, q.dtype(), q.layout(), q.batch(), q.heads(),
                         q.tokens(), q.headDim());
                 CudaStream stream = context.createStream()) {
                // As ONNX Runtime would hand it over: a raw address we do not own.
                DeviceTensor o = new DeviceTensor(context.borrow(owner.buffer().address(), owner.buffer().bytes()),
                        q.dtype(), q.layout(), q.batch(), q.heads(), q.tokens(), q.headDim());
                o.poisonWithNaN(stream);
                backend.attend(dq, dk, dv, o, true, request.softmaxScale(), stream);
                stream.synchronize();
                assertArrayEquals(viaHost.toArray(), owner.download().toArray(), variant.backendName());
            }
        }
    }

    @Test
    void quantizationTimeCanBeSeparatedFromTheAttentionKernel() {
        AttentionRequest request = GpuTestInputs.request(System.nanoTime(), InputDistribution.BIASED_K, DType.FP16,
                Layout.HND, 1, 4, 4, 512, 512, 128, false);
        GpuContext context = gpu.context();
        GpuAttentionBackend backend = gpu.backend(Variant.SAGE_INT8_FP16);
        HostTensor expected = backend.compute(request);
        HostTensor q = request.q();
        try (DeviceTensor dq = DeviceTensor.upload(context, q);
             DeviceTensor dk = DeviceTensor.upload(context, request.k());
             DeviceTensor dv = DeviceTensor.upload(context, request.v());
             DeviceTensor o = DeviceTensor.allocate(context, q.dtype(), q.layout(), 1, 4, 512, 128);
             Workspace workspace = backend.newWorkspace();
             CudaStream stream = context.createStream()) {
            GpuAttentionBackend.Prepared prepared = backend.prepare(dq, dk, dv, request.softmaxScale(), workspace,
                    stream);
            for (int i = 0; i < 3; i++) {
                o.poisonWithNaN(stream);
                backend.attendPrepared(prepared, o, false, stream);
                stream.synchronize();
                assertArrayEquals(expected.toArray(), o.download().toArray());
            }
        }
    }

    @Test
    void thousandsOfDeviceCallsLeakNothing() {
        GpuContext context = gpu.context();
        AttentionRequest request = GpuTestInputs.request(1, InputDistribution.BIASED_K, DType.FP16, Layout.HND, 1, 2, 2,
                130, 130, 64, false);
        HostTensor q = request.q();
        try (DeviceTensor dq = DeviceTensor.upload(context, q);
             DeviceTensor dk = DeviceTensor.upload(context, request.k());
             DeviceTensor dv = DeviceTensor.upload(context, request.v());
             DeviceTensor o = DeviceTensor.allocate(context, DType.FP16, Layout.HND, 1, 2, 130, 64);
             CudaStream stream = context.createStream()) {
            for (Variant variant : Variant.values()) {
                gpu.backend(variant).attend(dq, dk, dv, o, false, request.softmaxScale(), stream); // warm workspace
            }
            stream.synchronize();
            long live = context.liveAllocations();
            long free = context.memoryInfo().freeBytes();
            for (int i = 0; i < 2000; i++) {
                gpu.backend(Variant.values()[i % Variant.values().length]).attend(dq, dk, dv, o, i % 2 == 0,
                        request.softmaxScale(), stream);
            }
            stream.synchronize();
            assertEquals(live, context.liveAllocations());
            assertTrue(free - context.memoryInfo().freeBytes() < 16L << 20, "device memory shrank over 2000 calls");
        }
        // The host path allocates per call; it must give everything back too.
        long live = context.liveAllocations();
        for (int i = 0; i < 300; i++) {
            gpu.backend(Variant.SAGE_INT8_FP16).compute(request);
        }
        assertEquals(live, context.liveAllocations());
    }

    @Test
    void unsupportedHeadDimsAreRefusedWithTheReason() {
        // The caller falls back (InPlaceKernelSteps, the pipeline's shape fallback) and reports it; the kernel only
        // has to refuse clearly, before launching anything.
        AttentionRequest request = GpuTestInputs.request(3, InputDistribution.BIASED_K, DType.FP16, Layout.HND, 1, 2, 2,
                40, 40, 96, false);
        for (Variant variant : Variant.values()) {
            String reason = gpu.backend(variant).unsupportedReason(request.shape()).orElseThrow();
            assertTrue(reason.contains("head dim 96"), reason);
        }
        assertThrows(dev.sagestudio.attention.UnsupportedAttentionException.class,
                () -> gpu.backend(Variant.SAGE_INT8_FP16).compute(request));
    }

    @Test
    void misalignedDevicePointersAreRefusedBeforeLaunch() {
        GpuContext context = gpu.context();
        try (DeviceBuffer buffer = context.allocate(1 << 20); CudaStream stream = context.createStream()) {
            DeviceTensor aligned = new DeviceTensor(buffer.slice(0, 65536), DType.FP16, Layout.HND, 1, 1, 64, 64);
            DeviceTensor skewed = new DeviceTensor(buffer.slice(8, 65536), DType.FP16, Layout.HND, 1, 1, 64, 64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.backend(
                    Variant.FLASH_FP16).attend(skewed, aligned, aligned, aligned, false, 0.125, stream));
            assertTrue(e.getMessage().contains("16-byte aligned"), e.getMessage());
        }
    }
}
