package dev.sagestudio.models.onnx;

/** The attention operators SageStudio recognizes in ONNX graphs. */
public enum AttentionOp {
    /** The standard {@code Attention} operator of ai.onnx (opset 23 and later). */
    ONNX_ATTENTION("Attention", OnnxModel.DEFAULT_DOMAIN),
    /** ONNX Runtime's contrib operator {@code com.microsoft::MultiHeadAttention}. */
    MS_MULTI_HEAD_ATTENTION("MultiHeadAttention", "com.microsoft");

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
