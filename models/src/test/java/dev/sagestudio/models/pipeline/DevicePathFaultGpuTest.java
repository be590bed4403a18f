package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.fidelity.NonFiniteOutputException;
import dev.sagestudio.models.runtime.DeviceAttentionKernel;
import dev.sagestudio.models.runtime.FailingAllocations;
import dev.sagestudio.models.runtime.FaultyDeviceKernel;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults on the zero-copy device path itself, with the bundled image model and {@code sage-int8-fp16}: a failed
 * kernel launch and the device out of memory in step 2 (raised through {@link DeviceOnnxPath#interpose}, where our
 * CUDA kernel and allocator raise them: a real launch failure would leave the context unusable for the rest of the
 * process), and a NaN written by the device into one attention output of step 2. Each run ends with the driver's
 * error named (the CLI's exit 1), or with the node re-run by flash-fp16 and reported, or, when flash-fp16's output is
 * not finite either, with {@link NonFiniteOutputException} naming step, node and backends (the CLI's exit 3); no device
 * buffer is left behind, and the same pipeline then generates the clean picture again.
 */
@Tag("gpu")
class DevicePathFaultGpuTest {
    static final int NODES_PER_STEP = 8; // the bundled t2i denoiser's attention nodes; one call per guided step
    static final int THIRD_NODE_OF_STEP_TWO = NODES_PER_STEP + 2;
    static final GenerationRequest REQUEST = GenerationRequest.of("a red heart, twemoji style", 7).withSteps(4);
    /** Written over the first 4 bytes of an output: NaN as fp32, and as two fp16 or bf16 values. */
    static final int NAN_BITS = 0x7fc07fc0;

    /** What the interposed kernels do in the run under test: per kernel name, the call (from 0) to hit. */
    static final class Faults {
        final java.util.Map<String, Integer> failLaunch = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.Map<String, Integer> poisonOutput = new java.util.concurrent.ConcurrentHashMap<>();

        void clear() {
            failLaunch.clear();
            poisonOutput.clear();
        }
    }

    /** A device kernel with the faults {@link Faults} names for it; the NaN is written by the device. */
    static final class FaultyKernel extends FaultyDeviceKernel {
        final Faults faults;
        final GpuContext context;

        FaultyKernel(DeviceAttentionKernel inner, Faults faults, GpuContext context) {
            super(inner.name(), inner);
            this.faults = faults;
            this.context = context;
        }

        @Override
        protected boolean failsLaunch(int call) {
            return faults.failLaunch.getOrDefault(name(), -1) == call;
        }

        @Override
        protected boolean poisons(int call) {
            return faults.poisonOutput.getOrDefault(name(), -1) == call;
        }

        @Override
        protected void writeNaN(long o, long stream) {
            try (DeviceBuffer first = context.borrow(o, 4); CudaStream onto = context.borrowStream(stream)) {
                first.fill32(NAN_BITS, onto); // queued after the kernel: the device writes the NaN
            }
        }
    }

    private static ModelBundle bundle() throws Exception {
        Path dir = PipelineDevicePathGpuTest.BUNDLED.resolve("sage-emoji-t2i");
        Assumptions.assumeTrue(Files.isDirectory(dir), "no bundled model at " + dir.toAbsolutePath());
        return ModelBundle.load(dir);
    }

    /**
     * Opens the device path with faults interposed, generates a clean picture, then runs {@code test}; {@code recorded}:
     * with queued runs, so the loop records step 2 as a CUDA graph and launches it for the later steps (else every step
     * runs segment by segment).
     */
    private static void withFaultyDevicePath(boolean recorded, FaultTest test) throws Exception {
        ModelBundle bundle = bundle();
        Faults faults = new Faults();
        FailingAllocations[] allocations = new FailingAllocations[1];
        List<FaultyKernel> kernels = new java.util.ArrayList<>();
        try (AttentionChoice choice = PipelineDevicePathGpuTest.deviceChoiceOrSkip("sage-int8-fp16");
             OrtRuntime host = OrtRuntime.cpu(2)) {
            DeviceOnnxPath device = choice.device().orElseThrow();
            GpuContext context = device.backend().context();
            if (recorded) {
                device.queueRunsWithoutWaiting();
            }
            device.interpose(kernel -> {
                FaultyKernel faulty = new FaultyKernel(kernel, faults, context);
                kernels.add(faulty);
                return faulty;
            }, memory -> {
                allocations[0] = new FailingAllocations(memory);
                return allocations[0];
            });
            System.setProperty(DiffusionPipeline.RECORD_STEPS_PROPERTY, Boolean.toString(recorded));
            try (DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, choice, host)) {
                System.clearProperty(DiffusionPipeline.RECORD_STEPS_PROPERTY);
                GenerationResult clean = pipeline.generate(REQUEST);
                assertEquals(recorded ? REQUEST.steps() - 1 : 0, clean.recordedSteps(), clean.notes().toString());
                assertTrue(clean.notes().stream().noneMatch(n -> n.startsWith("FALLBACK")), clean.notes().toString());
                long live = device.inUseDeviceAllocations();
                kernels.forEach(FaultyKernel::restartCount);
                allocations[0].restartCount();
                test.run(pipeline, faults, allocations[0], clean);
                long afterFault = device.inUseDeviceAllocations();
                // at most flash-fp16's workspace (fp16 copies of Q, K, V), made on its first use and kept for reuse
                assertTrue(afterFault <= live + 3, "device buffers after the faulty run: " + afterFault + ", before "
                        + live);
                faults.clear();
                allocations[0].failAt(-1);
                GenerationResult after = pipeline.generate(REQUEST);
                assertEquals(afterFault, device.inUseDeviceAllocations(), "device buffers after the next run");
                assertClose(clean, after, "the pipeline after the fault");
                assertTrue(after.notes().stream().noneMatch(n -> n.startsWith("FALLBACK")), after.notes().toString());
            }
        }
    }

    interface FaultTest {
        void run(DiffusionPipeline pipeline, Faults faults, FailingAllocations allocations, GenerationResult clean)
                throws Exception;
    }

    /** The same picture up to the run-to-run wobble of ONNX Runtime's CUDA kernels. */
    private static void assertClose(GenerationResult expected, GenerationResult actual, String what) {
        ImageMetrics m = ImageMetrics.compare(expected.output(), actual.output(), 1, actual.height(), actual.width(),
                actual.valueLow(), actual.valueHigh());
        assertTrue(m.psnr() >= 60, what + ": PSNR " + m.psnr() + " dB against the clean run");
    }

    /** Asserts that {@code run} fails with {@code error} named in its message or its cause's. */
    private static void failsNaming(String error, org.junit.jupiter.api.function.Executable run) {
        RuntimeException e = assertThrows(RuntimeException.class, run);
        String message = e.getMessage() + (e.getCause() == null ? "" : " / " + e.getCause());
        assertTrue(message.contains(error), message);
    }

    @ParameterizedTest(name = "recorded as a CUDA graph: {0}")
    @ValueSource(booleans = {false, true})
    void aKernelLaunchFailureInStepTwoIsNamedAndThePipelineStaysUsable(boolean recorded) throws Exception {
        withFaultyDevicePath(recorded, (pipeline, faults, allocations, clean) -> {
            faults.failLaunch.put("sage-int8-fp16", THIRD_NODE_OF_STEP_TWO);
            failsNaming("CUDA_ERROR_LAUNCH_FAILED", () -> pipeline.generate(REQUEST));
        });
    }

    @ParameterizedTest(name = "recorded as a CUDA graph: {0}")
    @ValueSource(booleans = {false, true})
    void runningOutOfDeviceMemoryInStepTwoIsNamedAndThePipelineStaysUsable(boolean recorded) throws Exception {
        withFaultyDevicePath(recorded, (pipeline, faults, allocations, clean) -> {
            // the loop's 3 resident tensors, then per step the timestep, the coefficients and 8 attention outputs (the
            // recording step: the timestep, the coefficients and the recording's own copies of the inputs)
            allocations.failAt(3 + (NODES_PER_STEP + 2) + 1 + 2);
            failsNaming("CUDA_ERROR_OUT_OF_MEMORY", () -> pipeline.generate(REQUEST));
        });
    }

    @Test
    void aNaNInOneAttentionOutputOnTheDeviceIsReRunWithFlashAndReported() throws Exception {
        withFaultyDevicePath(false, (pipeline, faults, allocations, clean) -> {
            faults.poisonOutput.put("sage-int8-fp16", THIRD_NODE_OF_STEP_TWO);
            GenerationResult r = pipeline.generate(REQUEST);
            List<String> fallbacks = r.notes().stream().filter(n -> n.startsWith("FALLBACK")).toList();
            assertEquals(1, fallbacks.size(), r.notes().toString());
            String f = fallbacks.get(0);
            assertTrue(f.startsWith("FALLBACK: step 2, ") && f.contains("backend sage-int8-fp16, output index 0: NaN")
                    && f.endsWith("that node was re-run with flash-fp16, which gave finite values"), f);
            // one node at flash-fp16 instead of sage-int8-fp16 for one step: close to the clean picture
            ImageMetrics m = ImageMetrics.compare(clean.output(), r.output(), 1, r.height(), r.width(), r.valueLow(),
                    r.valueHigh());
            assertTrue(m.psnr() >= 30, "PSNR " + m.psnr());
        });
    }

    @Test
    void aNaNThatFlashGivesTooFailsTheGenerationNamingStepNodeAndBothBackends() throws Exception {
        withFaultyDevicePath(false, (pipeline, faults, allocations, clean) -> {
            faults.poisonOutput.put("sage-int8-fp16", THIRD_NODE_OF_STEP_TWO);
            faults.poisonOutput.put("flash-fp16", 0); // flash-fp16's first call is that node's re-run
            NonFiniteOutputException e = assertThrows(NonFiniteOutputException.class,
                    () -> pipeline.generate(REQUEST));
            String message = e.getMessage();
            assertTrue(message.contains("first non-finite value: step 2, ")
                    && message.contains("backend flash-fp16 (full precision), output index 0: NaN"), message);
            assertTrue(e.result(GenerationResult.class).orElseThrow().notes().stream().anyMatch(n ->
                    n.startsWith("FALLBACK: step 2, ") && n.endsWith("which is also non-finite")), message);
        });
    }

    /**
     * A NaN written into an attention output while step 2 was recorded is in every launch of the graph: the first
     * launch finds it, the graph is dropped, and that step and the later ones run segment by segment (the NaN was the
     * recording's, so the re-run is finite and the picture is the clean one); the run says so.
     */
    @Test
    void aNaNInARecordedLaunchDropsTheGraphAndTheStepRunsAgainSegmentBySegment() throws Exception {
        withFaultyDevicePath(true, (pipeline, faults, allocations, clean) -> {
            faults.poisonOutput.put("sage-int8-fp16", THIRD_NODE_OF_STEP_TWO);
            GenerationResult r = pipeline.generate(REQUEST);
            assertEquals(0, r.recordedSteps(), r.notes().toString());
            assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("step 2: the recorded CUDA graph's attention output")
                    && n.contains("NaN") && n.endsWith("ran segment by segment instead")), r.notes().toString());
            assertClose(clean, r, "the run whose recorded graph held a NaN");
        });
    }
}
