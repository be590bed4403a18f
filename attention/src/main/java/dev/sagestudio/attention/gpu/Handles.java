package dev.sagestudio.attention.gpu;

import java.lang.reflect.Constructor;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUgraph;
import jcuda.driver.CUstream;

/**
 * JCuda handle types that also tell their raw address, which ONNX Runtime's CUDA EP needs to share our
 * context, stream and buffers (and the JNA driver calls, a graph). JCuda keeps the address in a protected field;
 * these subclasses read it.
 */
final class Handles {
    private Handles() {}

    static final class Context extends CUcontext {
        long address() {
            return getNativePointer();
        }
    }

    static final class Stream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    static final class Graph extends CUgraph {
        long address() {
            return getNativePointer();
        }
    }

    static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A JCuda device pointer for a raw address owned by someone else (JCuda adds the byte offset natively). */
    static CUdeviceptr pointerAt(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    /** A JCuda stream handle for a raw {@code CUstream} created elsewhere (e.g. by ONNX Runtime). */
    static CUstream streamAt(long address) {
        try {
            // JCuda has this constructor but keeps it package-private.
            Constructor<CUstream> constructor = CUstream.class.getDeclaredConstructor(long.class);
            constructor.setAccessible(true);
            return constructor.newInstance(address);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot wrap raw CUDA stream 0x" + Long.toHexString(address)
                    + " in a JCuda handle: " + e, e);
        }
    }
}
