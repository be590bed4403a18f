package dev.sagestudio.attention.gpu;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import java.util.List;

/**
 * The CUDA driver calls made through JNA instead of JCuda: {@code cuTensorMapEncodeTiled}, which JCuda does not bind,
 * and the graph node queries, whose JCuda 12.6.0 binding of {@code cuGraphGetNodes} passes the driver an uninitialised
 * array length: the driver then fills that many entries past the nodes it has with NULL and writes over the heap
 * (a capture's recording crashed the JVM in malloc on the H100 on 2026-12-06).
 */
final class DriverLibrary {
    /** The calls, with raw handles: their JCuda wrappers are read through {@link Handles}. */
    interface Calls extends Library {
        int cuTensorMapEncodeTiled(Pointer tensorMap, int dataType, int rank, Pointer globalAddress, long[] globalDim,
                                   long[] globalStrides, int[] boxDim, int[] elementStrides, int interleave,
                                   int swizzle, int l2Promotion, int oobFill);

        /** {@code numNodes}: in, the capacity of {@code nodes} (ignored when it is null); out, the nodes written. */
        int cuGraphGetNodes(Pointer graph, Pointer nodes, LongByReference numNodes);

        int cuGraphNodeGetType(Pointer node, IntByReference type);
    }

    private static Calls calls;

    private DriverLibrary() {}

    /** The driver library, loaded on first use. */
    static synchronized Calls calls() {
        if (calls == null) {
            List<String> names = Platform.isWindows() ? List.of("nvcuda") : List.of("libcuda.so.1", "cuda");
            UnsatisfiedLinkError last = null;
            for (String name : names) {
                try {
                    calls = Native.load(name, Calls.class);
                    return calls;
                } catch (UnsatisfiedLinkError e) {
                    last = e;
                }
            }
            throw new IllegalStateException("the CUDA driver library (" + names + ") could not be loaded through JNA: "
                    + (last == null ? "" : last.getMessage()), last);
        }
        return calls;
    }
}
