package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.SessionOptions;
import org.junit.jupiter.api.Test;

/**
 * {@link OrtRuntime#shareOneArena()} on the CPU EP: every segment session of a partitioned model allocates from the one
 * arena registered in ONNX Runtime's environment (seen in the allocator statistics ONNX Runtime reports per session),
 * and the model computes what it computes with an arena per session.
 */
class SharedArenaTest {
    static final Path T2I_DENOISER = Path.of("bundled", "sage-emoji-t2i", "denoiser.onnx");

    /** Three self-attention blocks: four ONNX Runtime segments around three attention steps. */
    static OnnxModel threeBlocks() {
        TinyGraph g = new TinyGraph(11);
        String x = g.input("x", 1, 16, 64);
        String h = x;
        for (int i = 0; i < 3; i++) {
            h = g.attentionBlock(h, 64, h, 64, Layer.self(2, 32));
        }
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 1, 16, 64);
        return g.model("three blocks");
    }

    static long numAllocs(Map<String, String> stats) {
        assertTrue(stats.containsKey("NumAllocs"), "an arena's statistics: " + stats);
        return Long.parseLong(stats.get("NumAllocs"));
    }

    @Test
    void everySegmentSessionAllocatesFromTheOneArenaInTheEnvironment() {
        OnnxModel model = threeBlocks();
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 3);
        try (OrtRuntime runtime = OrtRuntime.cpu(1).shareOneArena();
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            assertTrue(runtime.sharesOneArena());
            partitioned.run(inputs);
            List<OrtSessionRunner> sessions = partitioned.openSessions();
            assertEquals(4, sessions.size(), "one session per segment");
            // One arena: every session reports the same figures, which count all sessions' allocations.
            Map<String, String> first = sessions.get(0).allocatorStats(OrtRuntime.hostMemory());
            for (OrtSessionRunner session : sessions) {
                assertEquals(first, session.allocatorStats(OrtRuntime.hostMemory()));
            }
            assertEquals(Optional.of(first), partitioned.sharedArenaStats());
            long before = numAllocs(first);
            partitioned.run(inputs);
            // The first segment's arena also counts what the later segments allocated in this run.
            long grown = numAllocs(sessions.get(0).allocatorStats(OrtRuntime.hostMemory())) - before;
            long ownRunOfFirst = firstSegmentsAllocationsInOneRunWithItsOwnArena(plan, inputs);
            assertTrue(grown > ownRunOfFirst, "the shared arena counted " + grown + " allocations in a run; the first"
                    + " segment's own arena counts " + ownRunOfFirst);
        }
    }

    @Test
    void withoutTheOptionEverySegmentSessionHasItsOwnArena() {
        OnnxModel model = threeBlocks();
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 3);
        try (OrtRuntime runtime = OrtRuntime.cpu(1);
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            assertFalse(runtime.sharesOneArena());
            assertEquals(Optional.empty(), partitioned.sharedArenaStats());
            partitioned.run(inputs);
            List<OrtSessionRunner> sessions = partitioned.openSessions();
            long firstBefore = numAllocs(sessions.get(0).allocatorStats(OrtRuntime.hostMemory()));
            Map<String, String> lastBefore = sessions.get(3).allocatorStats(OrtRuntime.hostMemory());
            assertNotEquals(lastBefore, sessions.get(0).allocatorStats(OrtRuntime.hostMemory()));
            partitioned.run(inputs);
            long grown = numAllocs(sessions.get(0).allocatorStats(OrtRuntime.hostMemory())) - firstBefore;
            assertEquals(firstSegmentsAllocationsInOneRunWithItsOwnArena(plan, inputs), grown, "the first segment's arena counts its own only");
        }
    }

    /** How many allocations a run (after the first) adds to the arena of the first segment's session of its own. */
    static long firstSegmentsAllocationsInOneRunWithItsOwnArena(PartitionPlan plan, Map<String, HostArray> inputs) {
        try (OrtRuntime runtime = OrtRuntime.cpu(1);
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            partitioned.run(inputs);
            OrtSessionRunner first = partitioned.openSessions().get(0);
            long before = numAllocs(first.allocatorStats(OrtRuntime.hostMemory()));
            partitioned.run(inputs);
            return numAllocs(first.allocatorStats(OrtRuntime.hostMemory())) - before;
        }
    }

    @Test
    void theBundledDenoiserComputesTheSameWithOneSharedArena() {
        OnnxModel model = OnnxModel.load(T2I_DENOISER);
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 7);
        RunResult own;
        try (OrtRuntime runtime = OrtRuntime.cpu(1);
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            own = partitioned.run(inputs);
        }
        try (OrtRuntime runtime = OrtRuntime.cpu(1).shareOneArena();
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), runtime)) {
            for (int run = 0; run < 2; run++) { // the second run reuses blocks the first one freed
                RunResult shared = partitioned.run(inputs);
                Map<String, AccuracyMetrics> metrics = OutputComparison.compare(own.outputs(), shared.outputs());
                metrics.forEach((name, m) -> assertEquals(0.0, m.maxAbsError(), name + ": " + m));
            }
            assertTrue(partitioned.openSessions().size() > 2, "a model of several segments");
        }
    }

    @Test
    void theArenaIsUnregisteredOnceTheLastRuntimeSharingItIsClosed() {
        OnnxModel model = threeBlocks();
        PartitionPlan plan = GraphPartitioner.partition(model);
        Map<String, HostArray> inputs = RandomInputs.forModel(model, plan.graphInputs(), Map.of(), 3);
        // A session that asks for the environment's allocators gets an arena of its own where none is registered.
        Map<String, String> ownArena = statsOfASessionAskingForTheEnvironmentsArena(model);
        try (OrtRuntime first = OrtRuntime.cpu(1).shareOneArena();
             OrtRuntime second = OrtRuntime.cpu(1).shareOneArena();
             PartitionedModel partitioned = new PartitionedModel(plan, new ReferenceAttention(), first)) {
            partitioned.run(inputs);
            first.close(); // the second runtime still shares the arena
            assertNotEquals(ownArena, statsOfASessionAskingForTheEnvironmentsArena(model),
                    "while registered, the arena holds the partitioned model's weights as well");
        }
        assertEquals(ownArena, statsOfASessionAskingForTheEnvironmentsArena(model), "nothing left registered");
    }

    /** Allocator statistics of a session opened with {@code session.use_env_allocators = 1} directly. */
    static Map<String, String> statsOfASessionAskingForTheEnvironmentsArena(OnnxModel model) {
        byte[] bytes = model.proto().toByteArray();
        try (SessionOptions options = new SessionOptions(); BytePointer data = new BytePointer(bytes)) {
            options.SetIntraOpNumThreads(1);
            options.AddConfigEntry("session.use_env_allocators", "1");
            try (OrtSessionRunner session = new OrtSessionRunner(
                    new Session(OrtRuntime.environment(), data, bytes.length, options), "probe", null, false, null,
                    false, List.of())) {
                return session.allocatorStats(OrtRuntime.hostMemory());
            }
        }
    }
}
