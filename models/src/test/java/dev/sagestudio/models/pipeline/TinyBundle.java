package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.OnnxGraphBuilder;
import dev.sagestudio.models.onnx.TinyGraph.Layer;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A complete, tiny model bundle written by tests: a WordLevel tokenizer.json, a text encoder (embedding + one
 * self-attention block) and a denoiser (patchify, timestep embedding, one self- and one cross-attention block, an
 * MLP) with random weights and standard ONNX {@code Attention} nodes (1 head of size 64, as the SageAttention
 * emulator needs), plus its model.json. Flow prediction, 8×8 RGB images (64 tokens) or 2-frame 8×8 videos (128 tokens).
 */
public final class TinyBundle {
    static final int TEXT_LENGTH = 8;
    static final int TEXT_WIDTH = 16;
    static final int WIDTH = 16;
    static final int VOCAB = 10;
    static final int HEAD_DIM = 64;

    /** Words of the tokenizer; anything else is [UNK]. */
    static final String TOKENIZER = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
             "post_processor": null, "decoder": null,
             "model": {"type": "WordLevel", "unk_token": "[UNK]",
                       "vocab": {"[PAD]": 0, "[UNK]": 1, "a": 2, "red": 3, "blue": 4, "heart": 5, "pizza": 6,
                                 "spinning": 7, "cat": 8, "ghost": 9}}}
            """;

    private TinyBundle() {
    }

    /** An image bundle in {@code dir}; {@code batchOfOne} fixes the denoiser's batch to 1 (two calls per step). */
    public static Path image(Path dir, boolean batchOfOne) {
        return write(dir, false, batchOfOne);
    }

    /** A 2-frame video bundle in {@code dir}. */
    public static Path video(Path dir) {
        return write(dir, true, false);
    }

    /**
     * The 2-frame video bundle turned into schemaVersion 2 with a decoder of whole clips that expands time 4x, as
     * causal video VAEs do: latent [1, 3, 2, 8, 8] → video [1, 3, 5, 8, 8], output frame 0 from latent frame 0 and
     * frames 1..4 from latent frame 1 (a Gather over time), with {@code scalingFactor} 2 applied before it.
     */
    static Path videoWithClipDecoder(Path dir) {
        write(dir, true, false);
        TinyGraph g = new TinyGraph(31);
        g.input("latent", 1, 3, 2, 8, 8);
        g.graph().addNode(g.node("Gather", new String[] {"latent", g.int64s("frame_of_latent", 0, 1, 1, 1, 1)}, "video")
                .addAttribute(TinyGraph.intAttr("axis", 2)));
        g.output("video", 1, 3, 5, 8, 8);
        try {
            Files.write(dir.resolve("vae_decoder.onnx"), g.build().toByteArray());
            String json = Files.readString(dir.resolve("model.json"))
                    .replace("\"schemaVersion\": 1", "\"schemaVersion\": 2")
                    .replace("\"frames\": 2,", "\"frames\": 5,")
                    .replace("\n  },\n  \"tokenizer\"", """
                            ,
                                "vaeDecoder": {
                                  "file": "vae_decoder.onnx", "scalingFactor": 2.0, "temporalScale": 4,
                                  "inputs": {"latent": {"name": "latent", "dtype": "float32", "shape": [1, 3, 2, 8, 8]}},
                                  "outputs": {"image": {"name": "video", "dtype": "float32", "shape": [1, 3, 5, 8, 8]}}
                                }
                              },
                              "tokenizer\"""");
            Files.writeString(dir.resolve("model.json"), json);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image bundle declaring epsilon prediction with a scaled-linear DDPM schedule, sampled by {@code scheduler}. */
    static Path epsilonImage(Path dir, String scheduler) {
        write(dir, false, false);
        try {
            String json = Files.readString(dir.resolve("model.json"))
                    .replace("\"prediction\": \"flow\"", "\"prediction\": \"epsilon\"")
                    .replace("{\"name\": \"flow_euler\", \"numTrainTimesteps\": 1000, \"shift\": 1.0}",
                            "{\"name\": \"" + scheduler + "\", \"numTrainTimesteps\": 1000, \"betaSchedule\": \"scaled_linear\","
                                    + " \"betaStart\": 0.00085, \"betaEnd\": 0.012}");
            Files.writeString(dir.resolve("model.json"), json);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An image bundle whose denoiser weight {@code weight} (e.g. "w_out") holds {@code value} everywhere: NaN or a
     * huge number stands for a corrupted or overflowing model.
     */
    public static Path imageWithDenoiserWeight(Path dir, String weight, float value) {
        write(dir, false, false);
        var model = denoiser(new long[] {-1, 3, 8, 8}).toBuilder();
        var graph = model.getGraphBuilder();
        boolean found = false;
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            var t = graph.getInitializer(i);
            if (t.getName().equals(weight)) {
                var bytes = java.nio.ByteBuffer.allocate(t.getRawData().size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                while (bytes.hasRemaining()) {
                    bytes.putFloat(value);
                }
                graph.setInitializer(i, t.toBuilder().setRawData(com.google.protobuf.ByteString.copyFrom(bytes.array())));
                found = true;
            }
        }
        if (!found) {
            throw new IllegalArgumentException("the tiny denoiser has no weight " + weight);
        }
        try {
            Files.write(dir.resolve("denoiser.onnx"), model.build().toByteArray());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(Path dir, boolean video, boolean batchOfOne) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER);
            Files.write(dir.resolve("text_encoder.onnx"), textEncoder().toByteArray());
            long[] sample = video ? new long[] {batchOfOne ? 1 : -1, 3, 2, 8, 8} : new long[] {batchOfOne ? 1 : -1, 3, 8, 8};
            Files.write(dir.resolve("denoiser.onnx"), denoiser(sample).toByteArray());
            Files.writeString(dir.resolve("model.json"), modelJson(video, batchOfOne));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ModelProto textEncoder() {
        TinyGraph g = new TinyGraph(11);
        g.graph().addInput(valueInfo("input_ids", ElementTypes.INT64, -1, TEXT_LENGTH));
        String embedding = g.weight("embedding", 1.0f, VOCAB, TEXT_WIDTH);
        String x = g.op("Gather", embedding, "input_ids");
        x = g.attentionBlock(x, TEXT_WIDTH, x, TEXT_WIDTH, Layer.self(1, HEAD_DIM));
        g.graph().addNode(g.node("Identity", new String[] {x}, "hidden_states"));
        g.output("hidden_states", -1, TEXT_LENGTH, TEXT_WIDTH);
        return g.build();
    }

    /** Denoiser for a sample of shape {@code sample} (batch first; -1 = dynamic). */
    static ModelProto denoiser(long[] sample) {
        return denoiser(sample, TEXT_LENGTH, TEXT_WIDTH, 0, false);
    }

    /**
     * Denoiser reading text states [B, textLength, textWidth]; with {@code pooledWidth} > 0 also
     * {@code pooled_text_embeds} [B, pooledWidth], and with {@code sizes} {@code time_ids} [B, 6], each projected to
     * the model width and added to every token, as SD3's and SDXL's denoisers add them to the timestep embedding.
     */
    static ModelProto denoiser(long[] sample, long textLength, long textWidth, long pooledWidth, boolean sizes) {
        TinyGraph g = new TinyGraph(23);
        g.input("sample", sample);
        g.input("timestep", sample[0]);
        g.input("encoder_hidden_states", sample[0], textLength, textWidth);
        // [B, 3, ...] -> [B, 3, N] -> [B, N, 3] -> [B, N, WIDTH]
        String flat = g.op("Reshape", "sample", g.int64s("to_tokens", 0, 3, -1));
        String tokens = transpose(g, flat);
        String h = g.op("MatMul", tokens, g.weight("w_in", 0.8f, 3, WIDTH));
        // timestep embedding sin(t * w), broadcast over tokens; t runs 0..1000
        String t = g.op("Unsqueeze", "timestep", g.int64s("axes_t", 1, 2));
        String temb = g.op("Sin", g.op("Mul", t, g.weight("w_t", 0.003f, 1, 1, WIDTH)));
        h = g.op("Add", h, temb);
        if (pooledWidth > 0) {
            g.input("pooled_text_embeds", sample[0], pooledWidth);
            String pooled = g.op("MatMul", "pooled_text_embeds", g.weight("w_pooled", 1.0f, pooledWidth, WIDTH));
            if (sizes) {
                g.input("time_ids", sample[0], 6);
                // sizes are in pixels (8 here): scaled down so that they shift the tokens as much as the pooled text
                pooled = g.op("Add", pooled, g.op("MatMul", "time_ids", g.weight("w_sizes", 0.05f, 6, WIDTH)));
            }
            h = g.op("Add", h, g.op("Unsqueeze", pooled, g.int64s("axes_pooled", 1)));
        }
        h = g.attentionBlock(h, WIDTH, h, WIDTH, Layer.self(1, HEAD_DIM));
        h = g.attentionBlock(h, WIDTH, "encoder_hidden_states", textWidth, Layer.self(1, HEAD_DIM));
        h = g.mlp(h, WIDTH);
        String o = g.op("MatMul", h, g.weight("w_out", 0.3f, WIDTH, 3));
        String back = transpose(g, o);
        String out = g.op("Reshape", back, g.op("Shape", "sample"));
        g.graph().addNode(g.node("Identity", new String[] {out}, "model_output"));
        g.output("model_output", sample);
        return g.build();
    }

    private static String transpose(TinyGraph g, String in) {
        String out = in + "_t";
        g.graph().addNode(g.node("Transpose", new String[] {in}, out).addAttribute(TinyGraph.intsAttr("perm", 0, 2, 1)));
        return out;
    }

    private static ValueInfoProto valueInfo(String name, int elemType, long... dims) {
        return OnnxGraphBuilder.valueInfo(name, elemType, d -> "B", dims);
    }

    static String modelJson(boolean video, boolean batchOfOne) {
        String b = batchOfOne ? "1" : "\"B\"";
        String sampleShape = video ? "[" + b + ", 3, 2, 8, 8]" : "[" + b + ", 3, 8, 8]";
        String sample = video ? "{\"frames\": 2, \"channels\": 3, \"height\": 8, \"width\": 8, \"latentScale\": 1, \"fps\": 4}"
                : "{\"frames\": 1, \"channels\": 3, \"height\": 8, \"width\": 8, \"latentScale\": 1}";
        return """
                {
                  "schemaVersion": 1,
                  "name": "tiny-%s",
                  "displayName": "Tiny test model",
                  "kind": "%s",
                  "components": {
                    "textEncoder": {
                      "file": "text_encoder.onnx",
                      "inputs": {"input_ids": {"name": "input_ids", "dtype": "int64", "shape": ["B", %d]}},
                      "outputs": {"hidden_states": {"name": "hidden_states", "dtype": "float32", "shape": ["B", %d, %d]}}
                    },
                    "denoiser": {
                      "file": "denoiser.onnx",
                      "inputs": {
                        "sample": {"name": "sample", "dtype": "float32", "shape": %s},
                        "timestep": {"name": "timestep", "dtype": "float32", "shape": [%s]},
                        "encoder_hidden_states": {"name": "encoder_hidden_states", "dtype": "float32", "shape": [%s, %d, %d]}
                      },
                      "outputs": {"model_output": {"name": "model_output", "dtype": "float32", "shape": %s}}
                    }
                  },
                  "tokenizer": {"file": "tokenizer.json", "maxLength": %d, "padId": 0},
                  "prediction": "flow",
                  "scheduler": {"name": "flow_euler", "numTrainTimesteps": 1000, "shift": 1.0},
                  "defaults": {"steps": 4, "guidanceScale": 3.0, "negativePrompt": ""},
                  "sample": %s,
                  "output": {"valueRange": [-1.0, 1.0]},
                  "license": {"spdx": "MIT", "attribution": []}
                }
                """.formatted(video ? "video" : "image", video ? "video" : "image", TEXT_LENGTH, TEXT_LENGTH,
                TEXT_WIDTH, sampleShape, b, b, TEXT_LENGTH, TEXT_WIDTH, sampleShape, TEXT_LENGTH, sample);
    }
}
