package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.AttributeProto;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.NodeProto;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Replaces each {@code Resize} that upsamples a 4-D tensor by the same whole factor {@code s} in height and width with
 * nearest-neighbour sampling (a U-Net's upsampler) by {@code Concat} of {@code s·s} copies of its input along the
 * channels and {@code DepthToSpace(blocksize s, mode DCR)}: the same values, each output pixel (s·h + i, s·w + j) of
 * channel c being input pixel (h, w) of channel c.
 *
 * <p>Why: ONNX Runtime 1.24's CUDA EP has no kernel for {@code Resize} at the opset PyTorch's exporter writes (opset
 * 19 and later), so it runs the upsampler on the CPU and copies SDXL's 64×64 and 128×128 feature maps to the host and
 * back on every step (measured on an H200, 2026-12-06: "CUDA kernel not found in registries for Op type: Resize"),
 * which also keeps those segments out of a recorded CUDA graph. Concat and DepthToSpace have CUDA kernels.
 *
 * <p>Taken only where the sampling provably picks input pixel floor(o / s): mode {@code nearest}, constant scales
 * [1, 1, s, s] with s a whole number from 2 to 8, no sizes, and a coordinate transformation with a nearest mode under
 * which that holds ({@code asymmetric} with {@code floor}; {@code half_pixel} or {@code pytorch_half_pixel} with a
 * rounding mode, whose offsets stay below half a pixel). Everything else is left to ONNX Runtime.
 */
public final class NearestUpsampleRewrite {
    static final int MAX_FACTOR = 8;

    /** The rewritten model and how many upsamplers were rewritten. */
    public record Result(OnnxModel model, int rewritten) {
        public Optional<String> describe() {
            return rewritten == 0 ? Optional.empty()
                    : Optional.of(rewritten + " nearest-neighbour Resize -> Concat + DepthToSpace (ONNX Runtime's CUDA"
                    + " EP has no Resize kernel at this opset: it ran them on the CPU)");
        }
    }

    private NearestUpsampleRewrite() {
    }

    public static Result apply(OnnxModel model) {
        GraphProto graph = model.graph();
        if (graph.getNodeList().stream().noneMatch(n -> n.getOpType().equals("Resize"))) {
            return new Result(model, 0);
        }
        ConstantValues constants = new ConstantValues(graph, model.folder());
        GraphAdditions edits = new GraphAdditions(graph);
        int rewritten = 0;
        for (NodeProto node : graph.getNodeList()) {
            OptionalInt factor = wholeFactor(node, constants);
            if (factor.isPresent()) {
                rewritten++;
                edits.replaceUpsampleByDepthToSpace(node, factor.getAsInt(),
                        "upsample_" + (node.getName().isEmpty() ? node.getOutput(0) : node.getName()));
            }
        }
        return new Result(edits.applyTo(model), rewritten);
    }

    private static final Set<String> ROUNDING = Set.of("round_prefer_floor", "round_prefer_ceil");

    /** The factor s where {@code node} is a Resize this rewrite takes (see the class comment). */
    static OptionalInt wholeFactor(NodeProto node, ConstantValues constants) {
        if (!node.getOpType().equals("Resize") || !OnnxModel.normalizeDomain(node.getDomain()).isEmpty()
                || node.getInputCount() < 3 || node.getOutputCount() != 1 || node.getInput(2).isEmpty()
                || (node.getInputCount() > 3 && !node.getInput(3).isEmpty())) {
            return OptionalInt.empty();
        }
        Map<String, AttributeProto> attributes = new java.util.HashMap<>();
        node.getAttributeList().forEach(a -> attributes.put(a.getName(), a));
        String mode = text(attributes, "mode", "nearest");
        String transform = text(attributes, "coordinate_transformation_mode", "half_pixel");
        String nearest = text(attributes, "nearest_mode", "round_prefer_floor");
        boolean exact = transform.equals("asymmetric") ? nearest.equals("floor")
                : (transform.equals("half_pixel") || transform.equals("pytorch_half_pixel")) && ROUNDING.contains(nearest);
        if (!mode.equals("nearest") || !exact || attributes.containsKey("axes")
                || (attributes.containsKey("antialias") && attributes.get("antialias").getI() != 0)) {
            return OptionalInt.empty();
        }
        Optional<ConstantValues.Constant> scales;
        try {
            scales = constants.get(node.getInput(2));
        } catch (OnnxModelException e) {
            return OptionalInt.empty();
        }
        if (scales.isEmpty() || scales.get().values().length != 4) {
            return OptionalInt.empty();
        }
        double[] s = scales.get().values();
        double factor = s[2];
        if (s[0] != 1 || s[1] != 1 || s[3] != factor || factor != Math.rint(factor) || factor < 2
                || factor > MAX_FACTOR) {
            return OptionalInt.empty();
        }
        return OptionalInt.of((int) factor);
    }

    private static String text(Map<String, AttributeProto> attributes, String name, String otherwise) {
        AttributeProto a = attributes.get(name);
        return a == null ? otherwise : a.getS().toStringUtf8();
    }
}
