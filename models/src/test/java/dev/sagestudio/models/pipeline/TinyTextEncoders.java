package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.OnnxGraphBuilder;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tiny schemaVersion-2 bundles with several text encoders, as SD3 (CLIP-L, CLIP-G, T5) and SDXL (CLIP-L, CLIP-G)
 * have them, written by tests. Each encoder is an embedding table (hidden state of token t = row ids[t]), with a
 * pooled output mean_t(hidden) · projection where declared, so a test can compute every text input by hand from the
 * graph's weights ({@link #weights}). The denoiser is {@link TinyBundle#denoiser(long[], long, long, long)}.
 */
final class TinyTextEncoders {

    /** One encoder: its file, tokens read, hidden width and pooled width (0 = none). */
    record Encoder(String file, String tokenizerFile, int length, int width, int pooledWidth, long seed) {
    }

    /** SDXL: CLIP-L 8 × 6 without pooled output, CLIP-G 8 × 10 with a pooled output of 4; text [8, 16], pooled 4. */
    static final Encoder[] SDXL = {
        new Encoder("text_encoder/model.onnx", "tokenizer/tokenizer.json", 8, 6, 0, 41),
        new Encoder("text_encoder_2/model.onnx", "tokenizer_2/tokenizer.json", 8, 10, 4, 42)};

    /**
     * SD3: CLIP-L 8 × 6 (pooled 3), CLIP-G 8 × 8 (pooled 5), T5 4 × 16; text [12, 16] with CLIP's 14 features padded
     * to 16, pooled 8.
     */
    static final Encoder[] SD3 = {
        new Encoder("text_encoder/model.onnx", "tokenizer/tokenizer.json", 8, 6, 3, 51),
        new Encoder("text_encoder_2/model.onnx", "tokenizer_2/tokenizer.json", 8, 8, 5, 52),
        new Encoder("text_encoder_3/model.onnx", "tokenizer_3/tokenizer.json", 4, 16, 0, 53)};

    private TinyTextEncoders() {
    }

    /** An SDXL-style image bundle (an empty negative prompt gives zeros, as diffusers' SDXL does by default). */
    static Path sdxl(Path dir) {
        return write(dir, "sdxl", SDXL, 8, 16, 4, true);
    }

    /** An SD3-style image bundle. */
    static Path sd3(Path dir) {
        return write(dir, "sd3", SD3, 12, 16, 8, false);
    }

    /** The embedding table [vocab, width] or the pooled projection [width, pooled] of {@code e}'s graph. */
    static float[] weights(Path dir, Encoder e, String name) {
        try {
            var graph = ModelProto.parseFrom(Files.readAllBytes(dir.resolve(e.file()))).getGraph();
            var tensor = graph.getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                    .orElseThrow();
            var buffer = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] out = new float[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static ModelProto encoder(Encoder e) {
        TinyGraph g = new TinyGraph(e.seed());
        g.graph().addInput(OnnxGraphBuilder.valueInfo("input_ids", ElementTypes.INT64, d -> "B", -1, e.length()));
        String hidden = g.op("Gather", g.weight("embedding", 1.0f, TinyBundle.VOCAB, e.width()), "input_ids");
        // named unlike the role, as exports name CLIP's penultimate layer
        g.graph().addNode(g.node("Identity", new String[] {hidden}, "penultimate_hidden"));
        g.output("penultimate_hidden", -1, e.length(), e.width());
        if (e.pooledWidth() > 0) {
            String mean = "mean_tokens";
            g.graph().addNode(g.node("ReduceMean", new String[] {"penultimate_hidden", g.int64s("token_axis", 1)}, mean)
                    .addAttribute(TinyGraph.intAttr("keepdims", 0)));
            String pooled = g.op("MatMul", mean, g.weight("projection", 1.0f, e.width(), e.pooledWidth()));
            g.graph().addNode(g.node("Identity", new String[] {pooled}, "text_embeds"));
            g.output("text_embeds", -1, e.pooledWidth());
        }
        return g.build();
    }

    private static String encoderJson(Encoder e) {
        String pooled = e.pooledWidth() == 0 ? "" : """
                , "pooled": {"name": "text_embeds", "dtype": "float32", "shape": ["B", %d]}""".formatted(
                e.pooledWidth());
        return """
                {"file": "%s",
                 "tokenizer": {"file": "%s", "maxLength": %d, "padId": 0},
                 "inputs": {"input_ids": {"name": "input_ids", "dtype": "int64", "shape": ["B", %d]}},
                 "outputs": {"hidden_states": {"name": "penultimate_hidden", "dtype": "float32",
                                               "shape": ["B", %d, %d]}%s}}""".formatted(e.file(), e.tokenizerFile(),
                e.length(), e.length(), e.length(), e.width(), pooled);
    }

    private static Path write(Path dir, String combine, Encoder[] encoders, int textLength, int textWidth,
                              int pooledWidth, boolean zerosForEmptyNegative) {
        try {
            var list = new StringBuilder();
            for (Encoder e : encoders) {
                write(dir.resolve(e.tokenizerFile()), TinyBundle.TOKENIZER.getBytes(StandardCharsets.UTF_8));
                write(dir.resolve(e.file()), encoder(e).toByteArray());
                list.append(list.length() == 0 ? "" : ",\n").append(encoderJson(e));
            }
            boolean sizes = combine.equals("sdxl");
            write(dir.resolve("denoiser.onnx"), TinyBundle.denoiser(new long[] {-1, 3, 8, 8}, textLength, textWidth,
                    pooledWidth, sizes).toByteArray());
            String json = """
                    {
                      "schemaVersion": 2,
                      "name": "tiny-%s",
                      "displayName": "Tiny %s-style test model",
                      "kind": "image",
                      "components": {
                        "textEncoders": {"combine": "%s", "zerosForEmptyNegative": %s, "encoders": [
                    %s]},
                        "denoiser": {
                          "file": "denoiser.onnx",
                          "inputs": {
                            "sample": {"name": "sample", "dtype": "float32", "shape": ["B", 3, 8, 8]},
                            "timestep": {"name": "timestep", "dtype": "float32", "shape": ["B"]},
                            "encoder_hidden_states": {"name": "encoder_hidden_states", "dtype": "float32",
                                                      "shape": ["B", %d, %d]},
                            "pooled_text_embeds": {"name": "pooled_text_embeds", "dtype": "float32", "shape": ["B", %d]}%s
                          },
                          "outputs": {"model_output": {"name": "model_output", "dtype": "float32", "shape": ["B", 3, 8, 8]}}
                        }
                      },
                      "prediction": "flow",
                      "scheduler": {"name": "flow_euler", "numTrainTimesteps": 1000, "shift": 1.0},
                      "defaults": {"steps": 4, "guidanceScale": 3.0, "negativePrompt": ""},
                      "sample": {"frames": 1, "channels": 3, "height": 8, "width": 8, "latentScale": 1},
                      "output": {"valueRange": [-1.0, 1.0]},
                      "license": {"spdx": "MIT", "attribution": []}
                    }
                    """.formatted(combine, combine, combine, zerosForEmptyNegative, list, textLength, textWidth,
                    pooledWidth, sizes ? ",\n        \"time_ids\": {\"name\": \"time_ids\", \"dtype\": \"float32\","
                            + " \"shape\": [\"B\", 6]}" : "");
            write(dir.resolve("model.json"), json.getBytes(StandardCharsets.UTF_8));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
