package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Set;
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
}
