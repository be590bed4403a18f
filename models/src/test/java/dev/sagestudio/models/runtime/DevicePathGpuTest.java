package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-copy device path on a GPU: segments on ONNX Runtime's CUDA EP, attention through our
 * kernels, every tensor between the model's inputs and outputs in device memory. Skipped, with the
 * reason printed, where there is no GPU, no kernel build or no CUDA EP (the -gpu natives); with
 * {@code -Dsagestudio.gpu.required=true} (the GPU bundle) those reasons fail the test instead.
 */
@Tag("gpu")
class DevicePathGpuTest {
    static final double MIN_COSINE = 0.9999;
    static final Path BUNDLED = Path.of(System.getProperty("sagestudio.bundled", "bundled"));

    @TempDir
    Path graphs;

    static DeviceOnnxPath openOrSkip(String backend) {
        try {
            DeviceOnnxPath path = DeviceOnnxPath.open(0, backend, 0);
            System.out.println("device path: " + path.describe());
            return path;
        } catch (GpuUnavailableException | OrtRuntimeException e) {
            String reason = "the device path cannot start here: " + e.getMessage();
            if (Boolean.getBoolean("sagestudio.gpu.required")) {
                fail(reason);
            }
            System.out.println("SKIPPED " + DevicePathGpuTest.class.getSimpleName() + ": " + reason);
            Assumptions.abort(reason);
            throw new AssertionError("unreachable");
        }
    }

    /** Runs {@code model} on the device and checks it against ONNX Runtime alone on the same device. */
    void matchesOrtAloneWithoutHostCopies(DeviceOnnxPath device, OnnxModel model, Map<String, HostArray> inputs,
                                          int runs, Path graphFolder) {
        PartitionPlan plan = GraphPartitioner.partition(model);
        RunResult expected;
        Path wholeGraph = graphFolder.resolve("whole");
        Path segmentGraphs = graphFolder.resolve("segments");
        device.runtime().saveOptimizedModelsIn(wholeGraph);
        try (WholeModel whole = WholeModel.open(model, device.runtime())) {
            expected = whole.run(inputs);
        }
        device.runtime().saveOptimizedModelsIn(segmentGraphs);
        long liveBefore = device.liveDeviceAllocations();
        try (PartitionedModel partitioned = device.partitioned(plan)) {
            for (int run = 0; run < runs; run++) {
                RunResult actual = partitioned.run(inputs);
                String where = model.source() + " run " + run + ": " + actual.transfers();
                assertEquals(plan.attentionSteps().size(), actual.attentionCalls().size(), where);
                assertEquals(java.util.List.of(), partitioned.attention().fallbacks(), where);
                assertEquals(0, actual.transfers().staging(), where);
                assertEquals(plan.graphInputs().size(), actual.transfers().uploads(), where);
                assertEquals(plan.graphOutputs().size(), actual.transfers().downloads(), where);
                OutputComparison.compare(expected.outputs(), actual.outputs()).forEach((name, m) ->
                        assertTrue(m.cosineSimilarity() >= MIN_COSINE, where + ", output " + name + ": " + m));
                if (run == 0) {
                    report(model, device, expected, actual);
                }
            }
        }
        device.runtime().saveOptimizedModelsIn(null);
        assertEquals(plan.segmentCount(), OptimizedGraphs.graphs(segmentGraphs), "one optimized graph per segment");
        // ONNX Runtime places some small nodes on the CPU by its own rules (e.g. a timestep embedding) and copies
        // around them, in its whole-graph run as well; the hand-off to our kernels must add no copy of its own.
        var segmentCopies = OptimizedGraphs.copies(segmentGraphs);
        var wholeCopies = OptimizedGraphs.copiedTensors(wholeGraph);
        System.out.println(model.source() + " | host<->device copy nodes: ONNX Runtime alone " + wholeCopies.size()
                + ", our segments " + segmentCopies.size());
        segmentCopies.forEach(c -> System.out.println("  segment copy: " + c + (wholeCopies.contains(c.tensor())
                ? " (ONNX Runtime alone copies it too)" : " (NOT in ONNX Runtime alone)")));
        var attentionTensors = new java.util.HashSet<String>();
        plan.attentionSteps().forEach(step -> attentionTensors.addAll(java.util.List.of(step.node().query(),
                step.node().key(), step.node().value(), step.node().output())));
        for (var copy : segmentCopies) {
            assertFalse(attentionTensors.contains(copy.tensor()), "an attention input or output crosses to the host: "
                    + copy + " (graphs in " + graphFolder + ")");
            assertTrue(wholeCopies.contains(copy.tensor()), "the segments copy a tensor that ONNX Runtime alone"
                    + " keeps on its device: " + copy + " (graphs in " + graphFolder + ")");
        }
        // Attention outputs are freed after their last reader; what stays is the kernels' workspace.
        assertTrue(device.liveDeviceAllocations() <= liveBefore + 16,
                "device buffers left open: " + liveBefore + " before, " + device.liveDeviceAllocations() + " after");
    }

    private static void report(OnnxModel model, DeviceOnnxPath device, RunResult expected, RunResult actual) {
        for (Map.Entry<String, AccuracyMetrics> e : OutputComparison.compare(expected.outputs(), actual.outputs())
                .entrySet()) {
            System.out.printf("%s | %s | %s | cosine %.8f | rel L1 %.3e | max abs %.3e | %s%n", model.source(),
                    device.describe(), e.getKey(), e.getValue().cosineSimilarity(), e.getValue().relativeL1(),
                    e.getValue().maxAbsError(), actual.transfers());
        }
    }

    static Map<String, OnnxModel> tinyModels() {
        Map<String, OnnxModel> models = new LinkedHashMap<>();
        TinyGraph self = new TinyGraph(61);
        String x = self.input("x", 2, 70, 128);
        String h = self.attentionBlock(x, 128, x, 128, Layer.self(2, 64).fourD().causal());
        h = self.attentionBlock(h, 128, h, 128, Layer.self(2, 64));
        self.graph().addNode(self.node("Identity", new String[] {h}, "y"));
        self.output("y", 2, 70, 128);
        models.put("self, 4-D causal then 3-D, two blocks", self.model("tiny-self"));

        TinyGraph gqa = new TinyGraph(62);
        x = gqa.input("x", 1, 129, 256);
        h = gqa.attentionBlock(x, 256, x, 256, Layer.self(4, 64).gqa(2).fourD());
        h = gqa.mlp(h, 256);
        gqa.graph().addNode(gqa.node("Identity", new String[] {h}, "y"));
        gqa.output("y", 1, 129, 256);
        models.put("GQA 4 query heads on 2 KV heads, then an MLP", gqa.model("tiny-gqa"));

        TinyGraph cross = new TinyGraph(63);
        x = cross.input("x", 2, 33, 128);
        String context = cross.input("context", 2, 77, 96);
        h = cross.attentionBlock(x, 128, x, 128, Layer.self(1, 128));
        h = cross.attentionBlock(h, 128, context, 96, Layer.self(1, 128).fourD());
        cross.graph().addNode(cross.node("Identity", new String[] {h}, "y"));
        cross.output("y", 2, 33, 128);
        models.put("self then cross attention, head dim 128", cross.model("tiny-cross"));
        return models;
    }

    @Test
    void tinyModelsOnTheDeviceWithFlashMatchOrtAloneAndCopyNothingBetweenSteps() {
        try (DeviceOnnxPath device = openOrSkip("flash-fp16")) {
            int i = 0;
            for (Map.Entry<String, OnnxModel> entry : tinyModels().entrySet()) {
                OnnxModel model = entry.getValue();
                PartitionPlan plan = GraphPartitioner.partition(model);
                Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 70 + i);
                System.out.println("tiny model: " + entry.getKey());
                matchesOrtAloneWithoutHostCopies(device, model, inputs, 2, graphs.resolve("tiny-" + i++));
            }
        }
    }

    /** The bundled image model's denoiser graph; skips without it (fails with -Dsagestudio.gpu.required=true). */
    static Path bundledDenoiserOrSkip() {
        Path denoiser = BUNDLED.resolve("sage-emoji-t2i").resolve("denoiser.onnx");
        if (!Files.isRegularFile(denoiser)) {
            String reason = "no bundled denoiser at " + denoiser.toAbsolutePath() + " (set -Dsagestudio.bundled)";
            if (Boolean.getBoolean("sagestudio.gpu.required")) {
                fail(reason);
            }
            Assumptions.abort(reason);
        }
        return denoiser;
    }

    void bundledDenoiser(String backend) {
        Path denoiser = bundledDenoiserOrSkip();
        try (DeviceOnnxPath device = openOrSkip(backend)) {
            OnnxModel model = OnnxModel.load(denoiser);
            PartitionPlan plan = GraphPartitioner.partition(model);
            Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 7);
            // Several runs of the denoiser, as the steps of a denoising loop.
            matchesOrtAloneWithoutHostCopies(device, model, inputs, 4, graphs.resolve("denoiser-" + backend));
        }
    }

    @Test
    void theBundledDenoiserWithFlashMatchesOrtAloneAndStaysOnTheDeviceThroughTheLoop() {
        bundledDenoiser("flash-fp16");
    }

    @Test
    void theBundledDenoiserWithSageInt8MatchesOrtAloneAndStaysOnTheDeviceThroughTheLoop() {
        bundledDenoiser("sage-int8-fp16");
    }
}
