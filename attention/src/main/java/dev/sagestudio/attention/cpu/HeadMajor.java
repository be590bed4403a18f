package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;

/** The flat head-major ([B, H, N, D]) arrays the CPU backends read their inputs from. */
final class HeadMajor {
    private HeadMajor() {}

    /** The tensor's values in HND order. */
    static float[] floats(HostTensor t) {
        return t.layout() == Layout.HND ? t.toArray() : t.toLayout(Layout.HND).toArray();
    }
}
