package dev.sagestudio.models.pipeline;

import com.google.protobuf.ByteString;
import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.TinyGraph;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small convolution-only VAE decoders written by tests, shaped like an SD VAE's decoder (3×3 convolutions, SiLU,
 * nearest 2× upsampling twice: {@value #SCALE}× larger) with random weights and free latent height and width, so
 * that any tile runs; and bundles that use them ({@link TinyBundle}'s tiny denoiser on a 16×16 latent of 3 channels,
 * 64×64 pixels).
 * The receptive field of an output pixel spans 1.75 latent pixels each side (1 for the first convolution, ½ and ¼ for
 * the two after the upsamplings), so a tile is exact where it is at least 2 latent pixels inside.
 */
public final class TinyDecoders {
    static final int SCALE = 4;
    static final int CHANNELS = 3;
    /** The bundles' latent height and width. */
    static final int LATENT = 16;
    private static final int WIDTH = 8;

    private TinyDecoders() {
    }

    /**
     * latent [1, 3, h, w] → image [1, 3, 4h, 4w]; with {@code fixedHeight}, {@code fixedWidth} > 0 the graph fixes the
     * latent's h and w to them (as an export without dynamic spatial axes does).
     */
    static ModelProto image(long fixedHeight, long fixedWidth) {
        TinyGraph g = new TinyGraph(41);
        g.input("latent", 1, CHANNELS, fixedHeight > 0 ? fixedHeight : -1, fixedWidth > 0 ? fixedWidth : -2);
        String x = silu(g, conv(g, "latent", CHANNELS, WIDTH, false, false));
        x = silu(g, conv(g, upsample(g, x, 4), WIDTH, WIDTH, false, false));
        x = conv(g, upsample(g, x, 4), WIDTH, 3, false, false);
        g.graph().addNode(g.node("Tanh", new String[] {x}, "image"));
        g.output("image", 1, 3, -3, -4);
        return g.build();
    }

    /**
     * A decoder of whole clips: latent [1, 3, F_lat, h, w] → video [1, 3, F, 4h, 4w], a causal VAE's time expansion
     * (output frame 0 from latent frame 0, then {@code temporalScale} frames from each following latent frame) after
     * a first convolution that mixes neighbouring latent frames, so every tile needs the whole clip.
     */
    static ModelProto clip(int latentFrames, int temporalScale) {
        TinyGraph g = new TinyGraph(43);
        g.input("latent", 1, CHANNELS, latentFrames, -1, -2);
        String x = silu(g, conv(g, "latent", CHANNELS, WIDTH, true, true));
        long[] frameOf = new long[(latentFrames - 1) * temporalScale + 1];
        for (int f = 1; f < frameOf.length; f++) {
            frameOf[f] = (f - 1) / temporalScale + 1;
        }
        String expanded = "expanded";
        g.graph().addNode(g.node("Gather", new String[] {x, g.int64s("frame_of_latent", frameOf)}, expanded)
                .addAttribute(TinyGraph.intAttr("axis", 2)));
        x = silu(g, conv(g, upsample(g, expanded, 5), WIDTH, WIDTH, true, false));
        x = conv(g, upsample(g, x, 5), WIDTH, 3, true, false);
        g.graph().addNode(g.node("Tanh", new String[] {x}, "video"));
        g.output("video", 1, 3, frameOf.length, -3, -4);
        return g.build();
    }

    /** {@link TinyBundle}'s image bundle at 64×64 pixels from a 16×16 latent, with the decoder {@link #image}. */
    public static Path imageBundle(Path dir) {
        TinyBundle.image(dir, false);
        return withDecoder(dir, image(0, 0), false, """
                "vaeDecoder": {
                  "file": "vae_decoder.onnx", "scalingFactor": 2.0,
                  "inputs": {"latent": {"name": "latent", "dtype": "float32", "shape": [1, 3, "h", "w"]}},
                  "outputs": {"image": {"name": "image", "dtype": "float32", "shape": [1, 3, 64, 64]}}
                }""");
    }

    /**
     * {@link TinyBundle}'s 2-frame video turned into a schemaVersion-2 latent video: 2 latent frames of 16×16 decoded
     * by {@link #clip} into 5 frames of 64×64.
     */
    public static Path videoBundle(Path dir) {
        TinyBundle.video(dir);
        return withDecoder(dir, clip(2, 4), true, """
                "vaeDecoder": {
                  "file": "vae_decoder.onnx", "scalingFactor": 2.0, "temporalScale": 4,
                  "inputs": {"latent": {"name": "latent", "dtype": "float32", "shape": [1, 3, 2, "h", "w"]}},
                  "outputs": {"image": {"name": "video", "dtype": "float32", "shape": [1, 3, 5, 64, 64]}}
                }""");
    }

    private static Path withDecoder(Path dir, ModelProto decoder, boolean video, String component) {
        try {
            Files.write(dir.resolve("vae_decoder.onnx"), decoder.toByteArray());
            Files.write(dir.resolve("denoiser.onnx"), TinyBundle.denoiser(video ? new long[] {-1, 3, 2, LATENT, LATENT}
                    : new long[] {-1, 3, LATENT, LATENT}).toByteArray());
            String json = Files.readString(dir.resolve("model.json"))
                    .replace("3, 8, 8]", "3, " + LATENT + ", " + LATENT + "]")
                    .replace("3, 2, 8, 8]", "3, 2, " + LATENT + ", " + LATENT + "]")
                    .replace("\"height\": 8, \"width\": 8, \"latentScale\": 1",
                            "\"height\": 64, \"width\": 64, \"latentScale\": " + SCALE)
                    .replace("\n  },\n  \"tokenizer\"", ",\n" + component + "\n  },\n  \"tokenizer\"");
            if (video) {
                json = json.replace("\"schemaVersion\": 1", "\"schemaVersion\": 2").replace("\"frames\": 2,",
                        "\"frames\": 5,");
            }
            Files.writeString(dir.resolve("model.json"), json);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String conv(TinyGraph g, String in, int from, int to, boolean threeD, boolean acrossTime) {
        String out = in + "_conv" + to + (threeD ? "3d" : "");
        String weight = threeD ? g.weight(out + "_w", 0.35f, to, from, acrossTime ? 3 : 1, 3, 3)
                : g.weight(out + "_w", 0.35f, to, from, 3, 3);
        String bias = g.weight(out + "_b", 0.1f, to);
        long t = acrossTime ? 1 : 0;
        g.graph().addNode(g.node("Conv", new String[] {in, weight, bias}, out).addAttribute(threeD
                ? TinyGraph.intsAttr("pads", t, 1, 1, t, 1, 1) : TinyGraph.intsAttr("pads", 1, 1, 1, 1)));
        return out;
    }

    private static String silu(TinyGraph g, String x) {
        return g.op("Mul", x, g.op("Sigmoid", x));
    }

    /** Nearest-neighbour 2× upsampling of the last two axes of a rank-{@code rank} tensor. */
    private static String upsample(TinyGraph g, String x, int rank) {
        String scales = x + "_scales";
        ByteBuffer bytes = ByteBuffer.allocate(rank * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rank; i++) {
            bytes.putFloat(i < rank - 2 ? 1f : 2f);
        }
        g.graph().addInitializer(TensorProto.newBuilder().setName(scales).setDataType(ElementTypes.FLOAT)
                .addDims(rank).setRawData(ByteString.copyFrom(bytes.array())));
        String out = x + "_up";
        // mode "nearest" is Resize's default
        g.graph().addNode(g.node("Resize", new String[] {x, "", scales}, out));
        return out;
    }
}
