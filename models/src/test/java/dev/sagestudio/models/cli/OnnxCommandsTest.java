package dev.sagestudio.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class OnnxCommandsTest {
    @TempDir
    Path dir;
    Path model;

    /** One 4-D self-attention block (shapes of Q/K/V not declared) and one masked block. */
    @BeforeEach
    void writeModel() throws Exception {
        TinyGraph g = new TinyGraph(5);
        String x = g.input("x", 2, 6, 16);
        String h = g.attentionBlock(x, 16, x, 16, Layer.self(2, 8).fourD().causal());
        h = g.attentionBlock(h, 16, h, 16, Layer.self(2, 8).masked(g.weight("mask", 1f, 6, 6)));
        g.graph().addNode(g.node("Identity", new String[] {h}, "y"));
        g.output("y", 2, 6, 16);
        model = Files.write(dir.resolve("tiny.onnx"), g.build().toByteArray());
    }

    record Outcome(int status, String out, String err) {
    }

    static Outcome execute(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute(args);
        return new Outcome(status, out.toString(), err.toString());
    }

    @Test
    void inspectListsShapesFromAProbeRunAndWhoRunsEachNode() {
        Outcome o = execute(new InspectCommand(), model.toString(), "--threads", "1");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("Q transpose_out_"), o.out());
        assertTrue(o.out().contains("float32 [2, 2, 6, 8]"), o.out());
        assertTrue(o.out().contains("shapes from: probe run"), o.out());
        assertTrue(o.out().contains("attention: B=2 Hq=2 Hkv=2 Nq=6 Nkv=6 D=8 fp32 HND causal"), o.out());
        assertTrue(o.out().contains("run by: cpu-reference"), o.out());
        assertTrue(o.out().contains("run by: ONNX Runtime: it takes an attention mask (attn_mask) ('mask')"), o.out());
    }

    @Test
    void inspectUsesDeclaredShapesWithoutRunningTheGraph() throws Exception {
        TinyGraph g = new TinyGraph(9);
        g.input("q", 1, 4, 10, 64);
        g.input("k", 1, 2, 10, 64);
        g.input("v", 1, 2, 10, 64);
        g.graph().addNode(g.node("Attention", new String[] {"q", "k", "v"}, "y"));
        g.output("y", 1, 4, 10, 64);
        Path declared = Files.write(dir.resolve("declared.onnx"), g.build().toByteArray());
        Outcome o = execute(new InspectCommand(), declared.toString(), "--backend", "cpu-sage");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("shapes from: declared"), o.out());
        assertTrue(o.out().contains("attention: B=1 Hq=4 Hkv=2 Nq=10 Nkv=10 D=64 fp32 HND"), o.out());
        assertTrue(o.out().contains("run by: cpu-sage-int8-fp16"), o.out());
    }

    @Test
    void inspectWithoutProbeSaysShapesAreCheckedAtRunTime() {
        Outcome o = execute(new InspectCommand(), model.toString(), "--no-probe");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("cpu-reference (shape checked when it runs)"), o.out());
    }

    @Test
    void inspectOfAFolderCoversEveryModelAndNamesBadOnes() throws Exception {
        Files.write(dir.resolve("broken.onnx"), new byte[] {(byte) 0xff, 0x01});
        Outcome o = execute(new InspectCommand(), dir.toString(), "--no-probe");
        assertEquals(1, o.status());
        assertTrue(o.out().contains("tiny.onnx"), o.out());
        assertTrue(o.err().contains("broken.onnx") && o.err().contains("not a valid ONNX model"), o.err());
    }

    @Test
    void inspectOfABundleCoversItsComponentsInPipelineOrder() {
        Path bundle = Path.of("bundled", "sage-emoji-t2i");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(bundle), "no bundled model at " + bundle);
        Outcome o = execute(new InspectCommand(), bundle.toString(), "--no-probe");
        assertEquals(0, o.status(), o.err());
        int encoder = o.out().indexOf("text_encoder.onnx");
        int denoiser = o.out().indexOf("denoiser.onnx");
        assertTrue(encoder >= 0 && denoiser > encoder, o.out());
        assertTrue(o.out().contains("producer: pytorch"), o.out());
    }

    @Test
    void anInvalidBundleIsRefusedWithTheBundlesOwnMessage() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bad-bundle"));
        Files.writeString(bundle.resolve("model.json"), "{\"schemaVersion\": 99}");
        Outcome o = execute(new InspectCommand(), bundle.toString());
        assertEquals(2, o.status());
        assertTrue(o.err().contains("invalid model bundle"), o.err());
    }

    @Test
    void runOnnxReportsAgreementWithOrtAndTiming() {
        Outcome o = execute(new RunOnnxCommand(), model.toString(), "--runs", "1", "--threads", "1",
                "--min-cosine", "0.9999");
        assertEquals(0, o.status(), o.err() + o.out());
        assertTrue(o.out().contains("attention steps with cpu-reference"), o.out());
        assertTrue(o.out().contains("kept in ONNX Runtime"), o.out());
        assertTrue(o.out().matches("(?s).*\\ny\\s+\\[2, 6, 16\\]\\s+(0\\.9999\\d+|1\\.0000\\d+).*"), o.out());
        assertTrue(o.out().contains("ONNX Runtime alone:"), o.out());
    }

    @Test
    void runOnnxFailsWhenAnOutputFallsBelowTheCosineThreshold() {
        // No output can reach a cosine above 1, so this threshold must trip.
        Outcome o = execute(new RunOnnxCommand(), model.toString(), "--runs", "1", "--min-cosine", "1.5");
        assertEquals(3, o.status(), o.err());
    }

    @Test
    void runOnnxWithTheEmulatorRuns() {
        Outcome o = execute(new RunOnnxCommand(), model.toString(), "--runs", "1", "--backend", "cpu-sage-int8-fp16");
        // Head dim 8 is outside what the quantized emulator supports, or it runs; either way it says so.
        assertTrue(o.status() == 0 || o.err().contains("cpu-sage-int8-fp16"), o.err());
    }

    @Test
    void unknownAndGpuBackendsAreExplained() {
        Outcome unknown = execute(new RunOnnxCommand(), model.toString(), "--backend", "magic");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown attention backend 'magic'"), unknown.err());
        Outcome gpu = execute(new RunOnnxCommand(), model.toString(), "--backend", "flash-fp16");
        assertEquals(2, gpu.status());
        assertTrue(gpu.err().contains("GPU backend 'flash-fp16' runs on the device path; add --ep cuda"), gpu.err());
    }

    @Test
    void aGpuBackendWhereTheDevicePathCannotStartRunsTheCpuReferenceAndSaysWhy() {
        Outcome o = execute(new RunOnnxCommand(), model.toString(), "--runs", "1", "--ep", "cuda",
                "--backend", "flash-fp16");
        if (o.err().contains("device path: ")) {
            return; // a GPU machine with kernels and the -gpu natives: DevicePathGpuTest covers it
        }
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("warning: flash-fp16 on the GPU is not possible here: "), o.err());
        assertTrue(o.err().contains("running ONNX Runtime on the CPU with cpu-reference instead"), o.err());
        assertTrue(o.out().contains("attention steps with cpu-reference:"), o.out());
    }

    static final Path DECOMPOSED = Path.of("src/test/resources/onnx/decomposed");

    @Test
    void inspectNamesThePatternOfDecomposedAttentionAndWhatDidNotMatch() {
        Outcome sdpa = execute(new InspectCommand(), DECOMPOSED.resolve("sdpa_opset14.onnx").toString(), "--threads",
                "1");
        assertEquals(0, sdpa.status(), sdpa.err());
        assertTrue(sdpa.out().contains("decomposed attention ending at MatMul node '/MatMul_1'"), sdpa.out());
        assertTrue(sdpa.out().contains("pattern: MatMul(Q, Kᵀ) → Softmax → MatMul(·, V); scale 1/sqrt(head size),"
                + " computed from the shape on Q, Kᵀ; Kᵀ = Transpose [0, 1, 3, 2] of K"), sdpa.out());
        assertTrue(sdpa.out().contains("run by: cpu-reference"), sdpa.out());

        // K exists only transposed here: the added Transpose's output is probed like any other tensor.
        Outcome added = execute(new InspectCommand(), DECOMPOSED.resolve("pretransposed_key_cross_opset16.onnx")
                .toString(), "--threads", "1");
        assertEquals(0, added.status(), added.err());
        assertTrue(added.out().contains("K sagestudio/key_of_"), added.out());
        assertTrue(added.out().contains("attention: B=1 Hq=2 Hkv=2 Nq=24 Nkv=10 D=64 fp32 HND"), added.out());

        Outcome returned = execute(new InspectCommand(), DECOMPOSED.resolve("weights_returned_opset14.onnx").toString(),
                "--no-probe");
        assertEquals(0, returned.status(), returned.err());
        assertTrue(returned.out().contains("looks like attention but not matched: Softmax node '/Softmax': the"
                + " attention weights ('weights') are also read by the graph's outputs"), returned.out());
    }

    @Test
    void runOnnxWarnsWhenTheBackendRunsNoneOfTheAttention() {
        Outcome o = execute(new RunOnnxCommand(), DECOMPOSED.resolve("position_bias_opset15.onnx").toString(),
                "--runs", "1", "--threads", "1");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("0 attention step(s)"), o.out());
        assertTrue(o.out().contains("kept in ONNX Runtime: decomposed attention ending at MatMul node"), o.out());
        assertTrue(o.err().contains("WARNING: cpu-reference runs none of this graph's attention: all 1 attention(s)"
                + " stay in ONNX Runtime"), o.err());

        Outcome found = execute(new RunOnnxCommand(), DECOMPOSED.resolve("eager_self_opset14.onnx").toString(),
                "--runs", "1", "--threads", "1", "--min-cosine", "0.9999");
        assertEquals(0, found.status(), found.err());
        assertTrue(found.out().contains("1 attention step(s)"), found.out());
        assertTrue(!found.err().contains("WARNING"), found.err());
    }
}
