package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.AttentionOp;
import dev.sagestudio.models.onnx.ElementTypes;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Runs one substituted attention node on host tensors with an {@link AttentionBackend}.
 *
 * <p>The 4-D form [B, H, N, D] is the HND layout and the 3-D form [B, N, H·D] is the NHD layout of
 * the same logical tensor, so neither needs a transpose; the output takes Q's form.
 */
public final class HostAttentionStep {

    /** The call's shape and the time the backend took (conversions excluded). */
    public record Call(AttentionNode node, AttentionShape shape, long backendNanos) {
    }

    private HostAttentionStep() {
    }

    /** The attention shape of a node's inputs, checked against the node's attributes. */
    public static AttentionShape shapeOf(AttentionNode node, int elemType, long[] q, long[] k, long[] v) {
        DType dtype = ElementTypes.attentionDType(elemType).orElseThrow(() -> failure(node,
                "inputs are " + ElementTypes.label(elemType) + "; attention backends take float32, float16 or bfloat16"));
        if (q.length != k.length || q.length != v.length) {
            throw failure(node, "Q, K and V have different ranks: " + Arrays.toString(q) + ", " + Arrays.toString(k)
                    + ", " + Arrays.toString(v));
        }
        if (!Arrays.equals(k, v)) {
            throw failure(node, "K " + Arrays.toString(k) + " and V " + Arrays.toString(v)
                    + " differ; backends need V with K's heads, tokens and head size");
        }
        int batch;
        int qHeads;
        int kvHeads;
        int qLen;
        int kvLen;
        int headDim;
        Layout layout;
        if (q.length == 3 && node.headsInBatch()) {
            // [B·H, N, D]: one batch of B·H heads, laid out as HND.
            if (k[0] != q[0] || k[2] != q[2]) {
                throw failure(node, "K " + Arrays.toString(k) + " does not match Q " + Arrays.toString(q)
                        + " in batch·heads or head size");
            }
            batch = 1;
            qHeads = toInt(node, q[0]);
            kvHeads = qHeads;
            qLen = toInt(node, q[1]);
            kvLen = toInt(node, k[1]);
            headDim = toInt(node, q[2]);
            layout = Layout.HND;
        } else if (q.length == 4 && node.op() != AttentionOp.MS_MULTI_HEAD_ATTENTION) {
            batch = toInt(node, q[0]);
            qHeads = toInt(node, q[1]);
            qLen = toInt(node, q[2]);
            headDim = toInt(node, q[3]);
            kvHeads = toInt(node, k[1]);
            kvLen = toInt(node, k[2]);
            if (k[0] != q[0] || k[3] != q[3]) {
                throw failure(node, "K " + Arrays.toString(k) + " does not match Q " + Arrays.toString(q)
                        + " in batch or head size");
            }
            if (node.qHeads() > 0 && (node.qHeads() != qHeads || node.kvHeads() != kvHeads)) {
                throw failure(node, "head attributes (" + node.qHeads() + ", " + node.kvHeads()
                        + ") contradict the 4-D input shapes");
            }
            layout = Layout.HND;
        } else if (q.length == 3) {
            if (node.qHeads() <= 0 || node.kvHeads() <= 0) {
                throw failure(node, "3-D inputs need head counts (q_num_heads/kv_num_heads or num_heads)");
            }
            qHeads = node.qHeads();
            kvHeads = node.kvHeads();
            if (q[2] % qHeads != 0) {
                throw failure(node, "Q's hidden size " + q[2] + " is not a multiple of " + qHeads + " heads");
            }
            headDim = toInt(node, q[2] / qHeads);
            if (k[2] != (long) kvHeads * headDim || k[0] != q[0]) {
                throw failure(node, "K " + Arrays.toString(k) + " does not hold " + kvHeads + " heads of size " + headDim
                        + " for Q " + Arrays.toString(q));
            }
            batch = toInt(node, q[0]);
            qLen = toInt(node, q[1]);
            kvLen = toInt(node, k[1]);
            layout = Layout.NHD;
        } else {
            throw failure(node, "Q has shape " + Arrays.toString(q) + "; the " + node.op().label()
                    + " forms SageStudio runs are " + (node.op() != AttentionOp.MS_MULTI_HEAD_ATTENTION ? "3-D and 4-D"
                    : "3-D"));
        }
        try {
            return new AttentionShape(batch, qHeads, kvHeads, qLen, kvLen, headDim, dtype, layout, node.causal());
        } catch (IllegalArgumentException e) {
            throw failure(node, e.getMessage());
        }
    }

    /** Computes the node's output from Q, K and V; the caller owns (and closes) the returned tensor. */
    public static OrtTensor run(AttentionNode node, AttentionBackend backend, OrtTensor q, OrtTensor k, OrtTensor v,
                                CallSink sink, Transfers transfers) {
        if (q.elemType() != k.elemType() || q.elemType() != v.elemType()) {
            throw failure(node, "Q, K and V have different element types: " + q.describe() + ", " + k.describe() + ", "
                    + v.describe());
        }
        AttentionShape shape = shapeOf(node, q.elemType(), q.shape(), k.shape(), v.shape());
        backend.requireSupported(shape);
        HostTensor hq = read(q, shape.dtype(), shape.layout(), shape.batch(), shape.qHeads(), shape.qLen(),
                shape.headDim());
        HostTensor hk = read(k, shape.dtype(), shape.layout(), shape.batch(), shape.kvHeads(), shape.kvLen(),
                shape.headDim());
        HostTensor hv = read(v, shape.dtype(), shape.layout(), shape.batch(), shape.kvHeads(), shape.kvLen(),
                shape.headDim());
        transfers.staging(q.byteSize());
        transfers.staging(k.byteSize());
        transfers.staging(v.byteSize());
        double scale = node.scale().orElse(shape.defaultScale());
        long start = System.nanoTime();
        HostTensor o = backend.compute(new AttentionRequest(hq, hk, hv, shape.causal(), scale));
        long nanos = System.nanoTime() - start;
        sink.accept(new Call(node, shape, nanos));
        OrtTensor out = OrtTensor.allocate(q.elemType(), q.shape());
        write(o.toLayout(shape.layout()), out);
        transfers.staging(out.byteSize());
        return out;
    }

    /** Receives one record per attention call. */
    @FunctionalInterface
    public interface CallSink {
        void accept(Call call);
    }

    private static HostTensor read(OrtTensor tensor, DType dtype, Layout layout, int b, int h, int n, int d) {
        ByteBuffer buffer = tensor.buffer();
        float[] values = new float[b * h * n * d];
        switch (dtype) {
            case FP32 -> buffer.asFloatBuffer().get(values);
            case FP16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Fp16.toFloat(buffer.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Bf16.toFloat(buffer.getShort(2 * i));
                }
            }
        }
        return HostTensor.of(dtype, layout, b, h, n, d, values);
    }

    private static void write(HostTensor o, OrtTensor out) {
        float[] values = o.toArray();
        ByteBuffer buffer = out.buffer();
        switch (o.dtype()) {
            case FP32 -> buffer.asFloatBuffer().put(values);
            case FP16 -> {
                for (int i = 0; i < values.length; i++) {
                    buffer.putShort(2 * i, Fp16.fromFloat(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    buffer.putShort(2 * i, Bf16.fromFloat(values[i]));
                }
            }
        }
    }

    private static int toInt(AttentionNode node, long extent) {
        if (extent <= 0 || extent > Integer.MAX_VALUE) {
            throw failure(node, "extent " + extent + " is out of range");
        }
        return (int) extent;
    }

    private static AttentionStepException failure(AttentionNode node, String why) {
        return new AttentionStepException(node.label() + ": " + why);
    }
}
