package dev.sagestudio.attention.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A 4-D attention tensor (batch, heads, tokens, headDim) in host memory. Values are held as floats
 * that are exactly representable in {@link #dtype()}: construction rounds them once, so every
 * backend sees the same inputs a GPU would.
 */
public final class HostTensor {
    private final DType dtype;
    private final Layout layout;
    private final int batch;
    private final int heads;
    private final int tokens;
    private final int headDim;
    private final float[] data;

    private HostTensor(DType dtype, Layout layout, int batch, int heads, int tokens, int headDim, float[] data) {
        this.dtype = dtype;
        this.layout = layout;
        this.batch = batch;
        this.heads = heads;
        this.tokens = tokens;
        this.headDim = headDim;
        this.data = data;
    }

    /**
     * A tensor holding a copy of {@code values} (in {@code layout} order), each rounded to {@code dtype}.
     *
     * @throws IllegalArgumentException if an extent is not positive or the value count does not match
     */
    public static HostTensor of(DType dtype, Layout layout, int batch, int heads, int tokens, int headDim,
                                float[] values) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(layout, "layout");
        long count = elementCount(batch, heads, tokens, headDim);
        if (values.length != count) {
            throw new IllegalArgumentException("tensor [batch=" + batch + ", heads=" + heads + ", tokens=" + tokens
                    + ", headDim=" + headDim + "] needs " + count + " values, got " + values.length);
        }
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = dtype.round(values[i]);
        }
        return new HostTensor(dtype, layout, batch, heads, tokens, headDim, rounded);
    }

    /** A tensor of the given extents filled with zeros. */
    public static HostTensor zeros(DType dtype, Layout layout, int batch, int heads, int tokens, int headDim) {
        long count = elementCount(batch, heads, tokens, headDim);
        return new HostTensor(dtype, layout, batch, heads, tokens, headDim, new float[(int) count]);
    }

    private static long elementCount(int batch, int heads, int tokens, int headDim) {
        if (batch <= 0 || heads <= 0 || tokens <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("tensor extents must be positive: [batch=" + batch + ", heads=" + heads
                    + ", tokens=" + tokens + ", headDim=" + headDim + "]");
        }
        long count = (long) batch * heads * tokens * headDim;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of " + count + " elements is too large for host memory");
        }
        return count;
    }

    public DType dtype() {
        return dtype;
    }

    public Layout layout() {
        return layout;
    }

    public int batch() {
        return batch;
    }

    public int heads() {
        return heads;
    }

    public int tokens() {
        return tokens;
    }

    public int headDim() {
        return headDim;
    }

    public int size() {
        return data.length;
    }

    /** Flat index of (b, h, n, d) in {@link #toArray()} order. */
    public int index(int b, int h, int n, int d) {
        return (int) layout.offset(b, h, n, d, heads, tokens, headDim);
    }

    public float get(int b, int h, int n, int d) {
        return data[index(b, h, n, d)];
    }

    /** Stores {@code value} rounded to this tensor's dtype. */
    public void set(int b, int h, int n, int d, float value) {
        data[index(b, h, n, d)] = dtype.round(value);
    }

    /** A copy of the values in layout order. */
    public float[] toArray() {
        return data.clone();
    }

    /** The same values in another layout (a copy). */
    public HostTensor toLayout(Layout target) {
        if (target == layout) {
            return copy();
        }
        float[] out = new float[data.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int n = 0; n < tokens; n++) {
                    int from = index(b, h, n, 0);
                    int to = (int) target.offset(b, h, n, 0, heads, tokens, headDim);
                    System.arraycopy(data, from, out, to, headDim);
                }
            }
        }
        return new HostTensor(dtype, target, batch, heads, tokens, headDim, out);
    }

    /** The values rounded to another dtype (a copy). */
    public HostTensor toDType(DType target) {
        return of(target, layout, batch, heads, tokens, headDim, data);
    }

    public HostTensor copy() {
        return new HostTensor(dtype, layout, batch, heads, tokens, headDim, data.clone());
    }

    /** Shape as text, e.g. {@code fp16 HND [2, 8, 1024, 128]}. */
    public String describe() {
        return dtype.label() + " " + layout + " " + Arrays.toString(new int[] {batch, heads, tokens, headDim});
    }

    @Override
    public String toString() {
        return "HostTensor(" + describe() + ")";
    }
}
