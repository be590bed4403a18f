package dev.sagestudio.attention.tensor;

/** Element types that attention inputs and outputs may have. */
public enum DType {
    FP32(4),
    FP16(2),
    BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element in device memory. */
    public int bytes() {
        return bytes;
    }

    /** The value this type stores for {@code value} (round to nearest even). */
    public float round(float value) {
        return switch (this) {
            case FP32 -> value;
            case FP16 -> Fp16.round(value);
            case BF16 -> Bf16.round(value);
        };
    }

    /** Lower-case name as used on command lines and in reports. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
