package dev.sagestudio.models.onnx;

/** The attention operators SageStudio recognizes in ONNX graphs. */
public enum AttentionOp {
    /** The standard {@code Attention} operator of ai.onnx (opset 23 and later). */
    ONNX_ATTENTION("Attention", OnnxModel.DEFAULT_DOMAIN),
    /** ONNX Runtime's contrib operator {@code com.microsoft::MultiHeadAttention}. */
    MS_MULTI_HEAD_ATTENTION("MultiHeadAttention", "com.microsoft"),
    /**
     * Attention written out as nodes: MatMul (or {@code com.microsoft::FusedMatMul}) of Q and K, an
     * optional scale, Softmax, MatMul with V. Named after the MatMul with V, whose output it replaces.
     * 4-D tensors are [B, H, N, D]; 3-D tensors are [B·H, N, D] (heads folded into the batch).
     */
    DECOMPOSED("MatMul", "");

    private final String opType;
    private final String domain;

    AttentionOp(String opType, String domain) {
        this.opType = opType;
        this.domain = domain;
    }

    public String opType() {
        return opType;
    }

    public String domain() {
        return domain;
    }

    /** {@code domain::opType} as written in reports. */
    public String label() {
        return domain.isEmpty() ? opType : domain + "::" + opType;
    }
}
