package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The fixed attention calls whose exact output bits the CPU backends must keep (see
 * {@link GoldenOutputsTest}), and the recorder that wrote {@value #RESOURCE}.
 *
 * <p>Each case is a seeded request and one backend; its digest is SHA-256 over the raw IEEE bits of
 * the output (big-endian, in the output's layout order). The reference contributes two digests per
 * shape: {@code compute} (floats) and {@code computeExact} (the double-precision result). The
 * emulator runs every variant (K smoothing on/off × 3 granularities × 4 PV modes) on every emulator
 * shape. Shapes cover GQA, causal with q_len below and above kv_len, query and key tails (lengths
 * not multiples of 32, 64, 128), both layouts, fp32/fp16/bf16, D = 64 and 128, a non-default softmax
 * scale and the three input distributions; fp32 shapes expose every bit the emulator computes,
 * because the output is not rounded further.
 *
 * <p>The digests were recorded from the code before the CPU backends were optimized; regenerate
 * them only for an intended change of numerics: {@code java -cp attention/target/classes:attention/target/test-classes
 * dev.sagestudio.attention.cpu.GoldenCases attention/src/test/resources/golden/cpu-attention-outputs.txt}.
 */
final class GoldenCases {
    static final String RESOURCE = "/golden/cpu-attention-outputs.txt";

    private GoldenCases() {}

    record Shape(String name, InputDistribution distribution, int batch, int qHeads, int kvHeads, int qLen,
                 int kvLen, int headDim, DType dtype, Layout layout, boolean causal, double scale, long seed) {

        AttentionRequest request() {
            AttentionInputs in = AttentionInputs.generate(distribution, batch, qHeads, kvHeads, qLen, kvLen, headDim,
                    dtype, layout, seed);
            double s = scale > 0 ? scale : 1.0 / Math.sqrt(headDim);
            return new AttentionRequest(in.q(), in.k(), in.v(), causal, s);
        }
    }

    /** Shapes every backend runs (head dims 64 and 128, which the emulator supports). */
    static List<Shape> emulatorShapes() {
        return List.of(
                new Shape("gqa-causal-qtail-ktail-outliers-fp32-nhd", InputDistribution.OUTLIERS,
                        2, 4, 2, 200, 150, 64, DType.FP32, Layout.NHD, true, 0, 11),
                new Shape("cross-biasedk-d128-scale0.05-bf16-hnd", InputDistribution.BIASED_K,
                        1, 2, 2, 130, 300, 128, DType.BF16, Layout.HND, false, 0.05, 12),
                new Shape("self-causal-gqa3-d128-fp16-hnd", InputDistribution.NORMAL,
                        1, 3, 1, 257, 257, 128, DType.FP16, Layout.HND, true, 0, 13),
                new Shape("causal-qlen-below-kvlen-d128-fp32-hnd", InputDistribution.BIASED_K,
                        1, 2, 2, 70, 190, 128, DType.FP32, Layout.HND, true, 0, 14),
                new Shape("t2i-cross-kv32-biasedk-fp32-nhd", InputDistribution.BIASED_K,
                        2, 4, 4, 160, 32, 64, DType.FP32, Layout.NHD, false, 0, 15),
                new Shape("single-token-fp32-hnd", InputDistribution.NORMAL,
                        1, 1, 1, 1, 1, 64, DType.FP32, Layout.HND, false, 0, 16));
    }

    /** Extra shapes for the reference only, which supports any head dim. */
    static List<Shape> referenceOnlyShapes() {
        return List.of(
                new Shape("odd-dim40-gqa-causal-bf16-nhd", InputDistribution.OUTLIERS,
                        2, 2, 1, 33, 47, 40, DType.BF16, Layout.NHD, true, 0, 21),
                new Shape("dim3-causal-qlen-above-kvlen-fp32-hnd", InputDistribution.NORMAL,
                        1, 2, 2, 29, 9, 3, DType.FP32, Layout.HND, true, 0, 22));
    }

    static List<SageConfig> allEmulatorVariants() {
        List<SageConfig> configs = new ArrayList<>();
        for (boolean smooth : new boolean[] {true, false}) {
            for (Granularity g : Granularity.values()) {
                for (PvMode mode : PvMode.values()) {
                    configs.add(new SageConfig(smooth, g, mode));
                }
            }
        }
        return configs;
    }

    /** Case name → how to compute its digest, in a fixed order. */
    static Map<String, Supplier<String>> cases() {
        Map<String, Supplier<String>> cases = new LinkedHashMap<>();
        List<Shape> referenceShapes = new ArrayList<>(emulatorShapes());
        referenceShapes.addAll(referenceOnlyShapes());
        for (Shape shape : referenceShapes) {
            cases.put("cpu-reference/compute/" + shape.name(),
                    () -> digest(new ReferenceAttention().compute(shape.request()).toArray()));
            cases.put("cpu-reference/computeExact/" + shape.name(),
                    () -> digest(new ReferenceAttention().computeExact(shape.request())));
        }
        for (SageConfig config : allEmulatorVariants()) {
            for (Shape shape : emulatorShapes()) {
                cases.put(config.backendName() + "/" + shape.name(),
                        () -> digest(new SageAttentionEmulator(config).compute(shape.request()).toArray()));
            }
        }
        return cases;
    }

    static String digest(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
        for (float v : values) {
            bytes.putInt(Float.floatToRawIntBits(v));
        }
        return sha256(bytes.array());
    }

    static String digest(double[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Double.BYTES);
        for (double v : values) {
            bytes.putLong(Double.doubleToRawLongBits(v));
        }
        return sha256(bytes.array());
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** Records the digests of the current code into the file named by {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GoldenCases <output file>");
        }
        StringBuilder text = new StringBuilder();
        text.append("# SHA-256 of the exact output bits of the CPU attention backends; see GoldenCases.\n");
        for (Map.Entry<String, Supplier<String>> c : cases().entrySet()) {
            text.append(c.getKey()).append(' ').append(c.getValue().get()).append('\n');
        }
        Files.writeString(Path.of(args[0]), text, StandardCharsets.UTF_8);
    }
}
