package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.CudaException;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.fidelity.NonFiniteOutputException;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.DeviceAttentionKernel;
import dev.sagestudio.models.runtime.DeviceMemoryPlanTest.CountingMemory;
import dev.sagestudio.models.runtime.DevicePathFidelityTest.FaultyKernel;
import dev.sagestudio.models.runtime.DevicePathFidelityTest.HostOutputCheck;
import dev.sagestudio.models.runtime.InPlaceKernelSteps;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.TensorMemory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole generations with the denoiser on a device path whose memory is host memory posing as the device, its
 * attention outputs checked where they lie: a quantized kernel's NaN in step 2 becomes the {@code FALLBACK:} note of
 * the host path with the step the loop announced (the sample-resident loop and the host loop with its two calls per
 * step alike), and a NaN the full-precision kernel gives too fails the generation with step, node and backends.
 */
class DevicePathPipelineTest {

    @TempDir
    static Path dir;
    static OrtRuntime cpu;
    static ModelBundle guided;
    static ModelBundle batchOfOne;

    @BeforeAll
    static void load() throws Exception {
        cpu = OrtRuntime.cpu(1);
        guided = ModelBundle.load(TinyBundle.image(dir.resolve("guided"), false));
        batchOfOne = ModelBundle.load(TinyBundle.image(dir.resolve("batch-of-one"), true));
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /** The first attention node's label and how many there are. */
    private static List<String> nodes(ModelBundle bundle) {
        PartitionPlan plan = GraphPartitioner.partition(OnnxModel.load(bundle.denoiserFile()));
        return plan.attentionSteps().stream().map(s -> s.node().label()).toList();
    }

    private static DiffusionPipeline onDevice(ModelBundle bundle, DeviceAttentionKernel kernel,
                                              DeviceAttentionKernel full, boolean residentLoop) throws Exception {
        TensorMemory memory = TensorMemory.device(new CountingMemory(), TensorMemory.host().ortMemory(), false);
        int slots = nodes(bundle).size();
        DiffusionPipeline p = DiffusionPipeline.openOnDevice(bundle, AttentionResolver.resolve("cpu-sage-int8-fp16",
                false), cpu, plan -> new PartitionedModel(plan, new InPlaceKernelSteps(kernel, 0, memory)
                .withOutputCheck(new HostOutputCheck(slots), full), cpu, memory));
        if (residentLoop) {
            p.residentLoop(cpu);
        }
        return p;
    }

    private static void assertNaNInStepTwoIsReRun(ModelBundle bundle, boolean residentLoop, int callsPerStep)
            throws Exception {
        List<String> nodes = nodes(bundle);
        GenerationRequest request = GenerationRequest.of("a red heart", 3).withSteps(3);
        GenerationResult clean;
        try (DiffusionPipeline p = onDevice(bundle, new FaultyKernel("test-quantized", Set.of(), Set.of()),
                new FaultyKernel("test-full", Set.of(), Set.of()), residentLoop)) {
            clean = p.generate(request);
        }
        FaultyKernel quantized = new FaultyKernel("test-quantized", Set.of(callsPerStep * nodes.size()), Set.of());
        try (DiffusionPipeline p = onDevice(bundle, quantized, new FaultyKernel("test-full", Set.of(), Set.of()),
                residentLoop)) {
            String loop = p.generate(request.withSteps(1)).execution().denoisingLoop();
            assertEquals(residentLoop, loop.startsWith("sample-resident loop"), loop);
            quantized.restartCount();
            GenerationResult r = p.generate(request);
            assertEquals(List.of("FALLBACK: step 2, " + nodes.get(0) + ", backend test-quantized, output index 3: NaN;"
                    + " that node was re-run with test-full, which gave finite values"),
                    r.notes().stream().filter(n -> n.startsWith("FALLBACK")).toList());
            ImageMetrics m = ImageMetrics.compare(clean.output(), r.output(), 1, r.height(), r.width(), r.valueLow(),
                    r.valueHigh());
            assertTrue(m.psnr() > 60, "the same kernels' picture: PSNR " + m.psnr());
            assertTrue(p.generate(request).notes().stream().noneMatch(n -> n.startsWith("FALLBACK")),
                    "the next generation reports nothing");
        }
    }

    @Test
    void aQuantizedNaNInStepTwoOfTheSampleResidentLoopIsReRunAndReported() throws Exception {
        assertNaNInStepTwoIsReRun(guided, true, 1);
    }

    @Test
    void aQuantizedNaNInStepTwoOfTheHostLoopIsReRunAndReported() throws Exception {
        assertNaNInStepTwoIsReRun(batchOfOne, false, 2); // guided: two denoiser calls per step
    }

    @Test
    void aNaNTheFullPrecisionKernelGivesTooFailsTheGenerationNamingStepNodeAndBackends() throws Exception {
        List<String> nodes = nodes(guided);
        FaultyKernel quantized = new FaultyKernel("test-quantized", Set.of(nodes.size()), Set.of());
        FaultyKernel full = new FaultyKernel("test-full", Set.of(0), Set.of());
        try (DiffusionPipeline p = onDevice(guided, quantized, full, true)) {
            NonFiniteOutputException e = assertThrows(NonFiniteOutputException.class,
                    () -> p.generate(GenerationRequest.of("a red heart", 3).withSteps(3)));
            assertTrue(e.getMessage().endsWith("first non-finite value: step 2, " + nodes.get(0) + ", backend"
                    + " test-full (full precision), output index 3: NaN"), e.getMessage());
            GenerationResult kept = e.result(GenerationResult.class).orElseThrow();
            assertTrue(kept.notes().contains("FALLBACK: step 2, " + nodes.get(0) + ", backend test-quantized, output"
                    + " index 3: NaN; that node was re-run with test-full, which is also non-finite"),
                    kept.notes().toString());
        }
    }

    /** {@link #onDevice} with the sample-resident loop recording each generation's step as {@code recorder} says. */
    private static DiffusionPipeline recordedOnDevice(ModelBundle bundle, DeviceAttentionKernel kernel,
                                                      DeviceAttentionKernel full,
                                                      DeviceDenoisingLoop.StepRecorder recorder) throws Exception {
        DiffusionPipeline p = onDevice(bundle, kernel, full, false);
        p.residentLoop(cpu, Optional.of(recorder));
        return p;
    }

    private static GenerationResult clean(GenerationRequest request) throws Exception {
        try (DiffusionPipeline p = onDevice(guided, new FaultyKernel("test-quantized", Set.of(), Set.of()),
                new FaultyKernel("test-full", Set.of(), Set.of()), true)) {
            return p.generate(request);
        }
    }

    @Test
    void aStepLaunchedAsOneRecordingGivesThePictureOfTheStepRunSegmentBySegment() throws Exception {
        GenerationRequest request = GenerationRequest.of("a red heart", 3).withSteps(3);
        List<ReplayedSteps> made = new ArrayList<>();
        GenerationResult r;
        try (DiffusionPipeline p = recordedOnDevice(guided, new FaultyKernel("test-quantized", Set.of(), Set.of()),
                new FaultyKernel("test-full", Set.of(), Set.of()), (model, example, first, after) -> {
                    ReplayedSteps steps = new ReplayedSteps(model, example, after);
                    made.add(steps);
                    return steps;
                })) {
            r = p.generate(request);
        }
        assertArrayEquals(clean(request).output(), r.output());
        assertEquals(2, r.recordedSteps(), "steps 2 and 3 are launches");
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("from step 2 of 3 on, each step ran as one CUDA"
                + " graph launch")), r.notes().toString());
        assertEquals(1, made.size(), "recorded once per generation");
        assertEquals(2, made.get(0).launches);
        assertEquals(1, made.get(0).closes, "closed once, when the generation ends");
        assertTrue(r.stepTimeSplitMissing().isPresent());
    }

    @Test
    void aNaNInALaunchDropsTheRecordingAndThatStepAndTheRestRunSegmentBySegment() throws Exception {
        GenerationRequest request = GenerationRequest.of("a red heart", 3).withSteps(3);
        List<String> nodes = nodes(guided);
        List<ReplayedSteps> made = new ArrayList<>();
        // the quantized kernel's first call of step 2: inside the first launch
        FaultyKernel quantized = new FaultyKernel("test-quantized", Set.of(nodes.size()), Set.of());
        GenerationResult r;
        try (DiffusionPipeline p = recordedOnDevice(guided, quantized, new FaultyKernel("test-full", Set.of(),
                Set.of()), (model, example, first, after) -> {
                    ReplayedSteps steps = new ReplayedSteps(model, example, after);
                    made.add(steps);
                    return steps;
                })) {
            r = p.generate(request);
        }
        assertEquals(0, r.recordedSteps(), r.notes().toString());
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("step 2: the recorded CUDA graph's attention output"
                + " of node " + nodes.get(0) + " (test-quantized) held 1 non-finite value(s) (first: NaN)")
                && n.endsWith("ran segment by segment instead")), r.notes().toString());
        // the step ran again from the recording's own copy of its inputs, where the kernel gave finite values
        assertArrayEquals(clean(request).output(), r.output());
        assertTrue(r.notes().stream().noneMatch(n -> n.startsWith("FALLBACK")), r.notes().toString());
        assertEquals(1, made.get(0).launches);
        assertEquals(1, made.get(0).closes);
    }

    @Test
    void aStepTheDriverRefusesToRecordRunsSegmentBySegmentAndTheRunSaysWhy() throws Exception {
        GenerationRequest request = GenerationRequest.of("a red heart", 3).withSteps(3);
        GenerationResult r;
        try (DiffusionPipeline p = recordedOnDevice(guided, new FaultyKernel("test-quantized", Set.of(), Set.of()),
                new FaultyKernel("test-full", Set.of(), Set.of()), (model, example, first, after) -> {
                    throw new CudaException("cuStreamEndCapture", CUresult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
                })) {
            r = p.generate(request);
        }
        assertArrayEquals(clean(request).output(), r.output());
        assertEquals(0, r.recordedSteps());
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("the step was not recorded as a CUDA graph, every"
                + " step ran segment by segment: ") && n.contains("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED")),
                r.notes().toString());
    }

    @Test
    void aDeviceFaultWhileRecordingFailsTheGenerationNamingIt() throws Exception {
        try (DiffusionPipeline p = recordedOnDevice(guided, new FaultyKernel("test-quantized", Set.of(), Set.of()),
                new FaultyKernel("test-full", Set.of(), Set.of()), (model, example, first, after) -> {
                    throw new CudaException("cuLaunchKernel(test)", CUresult.CUDA_ERROR_LAUNCH_FAILED);
                })) {
            CudaException e = assertThrows(CudaException.class,
                    () -> p.generate(GenerationRequest.of("a red heart", 3).withSteps(3)));
            assertTrue(e.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED"), e.getMessage());
            // a one-step generation records nothing, so the same pipeline still generates
            assertArrayEquals(clean(GenerationRequest.of("a red heart", 3).withSteps(1)).output(),
                    p.generate(GenerationRequest.of("a red heart", 3).withSteps(1)).output());
        }
    }
}
