package dev.sagestudio.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import dev.sagestudio.models.runtime.HostArray;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.WholeModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link NearestUpsampleRewrite}: a U-Net's nearest-neighbour upsampler (Resize by a whole factor) becomes Concat +
 * DepthToSpace with exactly the values ONNX Runtime's own Resize computes (opset 23, as PyTorch's exporter writes it);
 * any other Resize is left as it is.
 */
class NearestUpsampleRewriteTest {
    private static final long N = 2, C = 3, H = 4, W = 5;

    private static AttributeProto text(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }

    /** x [N, C, H, W] -> Resize(x, scales) -> y, with the given attributes. */
    private static OnnxModel upsampler(float[] scales, long outH, long outW, AttributeProto... attributes) {
        NodeProto.Builder resize = NodeProto.newBuilder().setOpType("Resize").setName("up").addInput("x").addInput("")
                .addInput("scales").addOutput("y");
        for (AttributeProto a : attributes) {
            resize.addAttribute(a);
        }
        OnnxGraphBuilder g = new OnnxGraphBuilder("upsample").input("x", ElementTypes.FLOAT, N, C, H, W)
                .output("y", ElementTypes.FLOAT, N, C, outH, outW)
                .initializer(TestTensors.floats("scales", new long[] {4}, scales)).node(resize);
        return OnnxModel.of(g.build("tests"), Path.of(".").toAbsolutePath(), "upsample test");
    }

    private static double[] run(OnnxModel model) {
        float[] x = new float[(int) (N * C * H * W)];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.5f - 7;
        }
        try (OrtRuntime cpu = OrtRuntime.cpu(1); WholeModel whole = WholeModel.open(model, cpu)) {
            return whole.run(Map.of("x", HostArray.ofFloats(ElementTypes.FLOAT, new long[] {N, C, H, W}, x)))
                    .outputs().get("y").toDoubles();
        }
    }

    private static List<String> ops(OnnxModel model) {
        return model.graph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    private static void assertRewrittenWithTheSameValues(OnnxModel raw, int factor) {
        NearestUpsampleRewrite.Result result = NearestUpsampleRewrite.apply(raw);
        assertEquals(1, result.rewritten());
        assertEquals(List.of("Concat", "DepthToSpace"), ops(result.model()));
        assertEquals(factor * factor, result.model().graph().getNode(0).getInputCount());
        assertTrue(result.describe().orElseThrow().startsWith("1 nearest-neighbour Resize -> Concat + DepthToSpace"));
        assertArrayEquals(run(raw), run(result.model()), 0.0, "bit for bit what ONNX Runtime's Resize gives");
    }

    @Test
    void pyTorchsNearestUpsamplerBecomesConcatAndDepthToSpaceWithOnnxRuntimesOwnValues() {
        // what torch.onnx (dynamo) writes for F.interpolate(x, scale_factor=2.0, mode="nearest")
        assertRewrittenWithTheSameValues(upsampler(new float[] {1, 1, 2, 2}, 2 * H, 2 * W, text("mode", "nearest"),
                text("coordinate_transformation_mode", "asymmetric"), text("nearest_mode", "floor")), 2);
    }

    @Test
    void halfPixelCentresWithRoundingPickTheSamePixelsAtAnyWholeFactor() {
        // the defaults (half_pixel, round_prefer_floor), at factor 3
        assertRewrittenWithTheSameValues(upsampler(new float[] {1, 1, 3, 3}, 3 * H, 3 * W, text("mode", "nearest")),
                3);
        assertRewrittenWithTheSameValues(upsampler(new float[] {1, 1, 2, 2}, 2 * H, 2 * W, text("mode", "nearest"),
                text("coordinate_transformation_mode", "pytorch_half_pixel"),
                text("nearest_mode", "round_prefer_ceil")), 2);
    }

    @Test
    void otherResizesAreLeftAsTheyAre() {
        List<OnnxModel> kept = List.of(
                upsampler(new float[] {1, 1, 2, 2}, 2 * H, 2 * W, text("mode", "linear")),
                upsampler(new float[] {1, 1, 2, 3}, 2 * H, 3 * W, text("mode", "nearest")),
                upsampler(new float[] {1, 1, 1.5f, 1.5f}, 6, 7, text("mode", "nearest")),
                upsampler(new float[] {1, 2, 2, 2}, 2 * H, 2 * W, text("mode", "nearest")),
                // align_corners maps the last output pixel onto the last input pixel: not floor(o / s)
                upsampler(new float[] {1, 1, 2, 2}, 2 * H, 2 * W, text("mode", "nearest"),
                        text("coordinate_transformation_mode", "align_corners")),
                upsampler(new float[] {1, 1, 2, 2}, 2 * H, 2 * W, text("mode", "nearest"),
                        text("coordinate_transformation_mode", "asymmetric"), text("nearest_mode", "ceil")));
        for (OnnxModel model : kept) {
            NearestUpsampleRewrite.Result result = NearestUpsampleRewrite.apply(model);
            assertEquals(0, result.rewritten(), model.graph().getNode(0).toString());
            assertSame(model, result.model());
        }
    }
}
