package dev.sagestudio.models.runtime;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP pointer at a raw address we did not allocate through JavaCPP (a device pointer from the
 * CUDA driver, a {@code CUstream}): it frees nothing and must not be dereferenced from Java unless
 * the address is host memory.
 */
final class NativeAddress extends Pointer {

    private NativeAddress(long address, long bytes) {
        this.address = address;
        this.limit = bytes;
        this.capacity = bytes;
    }

    /** A pointer at {@code address} spanning {@code bytes} (0 when the extent does not matter). */
    static Pointer of(long address, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative extent " + bytes);
        }
        return new NativeAddress(address, bytes);
    }
}
