package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;

/** Conversions between tensors and flat head-major ([B, H, N, D]) arrays used by the CPU backends. */
final class HeadMajor {
    private HeadMajor() {}

    /** The tensor's values in HND order. */
    static float[] floats(HostTensor t) {
        return t.layout() == Layout.HND ? t.toArray() : t.toLayout(Layout.HND).toArray();
    }

    /** Reorders a head-major array into {@code layout} order. */
    static double[] toLayout(double[] hnd, Layout layout, int batch, int heads, int tokens, int headDim) {
        if (layout == Layout.HND) {
            return hnd;
        }
        double[] out = new double[hnd.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int n = 0; n < tokens; n++) {
                    int from = ((b * heads + h) * tokens + n) * headDim;
                    int to = (int) layout.offset(b, h, n, 0, heads, tokens, headDim);
                    System.arraycopy(hnd, from, out, to, headDim);
                }
            }
        }
        return out;
    }
}
