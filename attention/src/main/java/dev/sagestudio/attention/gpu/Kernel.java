package dev.sagestudio.attention.gpu;

import java.util.ArrayList;
import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One kernel of the {@link KernelModule}, launched with {@code cuLaunchKernel}. Launch failures name
 * the kernel. With the system property {@code sagestudio.cuda.syncEachLaunch=true} every launch is
 * followed by a stream synchronization, so a fault is reported against the kernel that caused it.
 */
public final class Kernel {
    static final boolean SYNC_EACH_LAUNCH = Boolean.getBoolean("sagestudio.cuda.syncEachLaunch");

    private final GpuContext context;
    private final String name;
    private final KernelModule.Entry entry;
    private final CUfunction function;
    private int dynamicSharedLimit = 48 * 1024;

    Kernel(GpuContext context, KernelModule.Entry entry, CUfunction function) {
        this.context = context;
        this.name = entry.name();
        this.entry = entry;
        this.function = function;
    }

    /** Threads per block, from the build manifest. */
    public int blockThreads() {
        return entry.blockThreads();
    }

    /** Dynamic shared memory per block in bytes, from the build manifest. */
    public int dynamicSharedBytes() {
        return entry.dynamicSharedBytes();
    }

    /** Launches with the manifest's block size and dynamic shared memory. */
    public void launch(int gridX, int gridY, int gridZ, CudaStream stream, Args args) {
        launch(gridX, gridY, gridZ, entry.blockThreads(), 1, 1, entry.dynamicSharedBytes(), stream, args);
    }

    public String name() {
        return name;
    }

    /** Kernel arguments in declaration order. */
    public static final class Args {
        private final List<NativePointerObject> pointers = new ArrayList<>();
        private final StringBuilder description = new StringBuilder();

        public Args pointer(DeviceBuffer buffer) {
            pointers.add(Pointer.to(buffer.pointer()));
            return note("ptr");
        }

        /** A null device pointer (for optional arguments). */
        public Args nullPointer() {
            pointers.add(Pointer.to(new long[] {0L}));
            return note("null");
        }

        public Args i32(int value) {
            pointers.add(Pointer.to(new int[] {value}));
            return note(Integer.toString(value));
        }

        public Args i64(long value) {
            pointers.add(Pointer.to(new long[] {value}));
            return note(Long.toString(value));
        }

        public Args f32(float value) {
            pointers.add(Pointer.to(new float[] {value}));
            return note(Float.toString(value));
        }

        private Args note(String value) {
            if (description.length() > 0) {
                description.append(", ");
            }
            description.append(value);
            return this;
        }

        Pointer toPointer() {
            return Pointer.to(pointers.toArray(new NativePointerObject[0]));
        }

        @Override
        public String toString() {
            return description.toString();
        }
    }

    public static Args args() {
        return new Args();
    }

    /** Launches on {@code stream} with the given grid, block and dynamic shared memory. */
    public void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes,
                       CudaStream stream, Args args) {
        if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 || blockZ <= 0 || sharedBytes < 0) {
            throw new IllegalArgumentException("kernel " + name + ": grid (" + gridX + ", " + gridY + ", " + gridZ
                    + ") and block (" + blockX + ", " + blockY + ", " + blockZ + ") must be positive, shared memory "
                    + sharedBytes + " not negative");
        }
        context.makeCurrent();
        allowDynamicShared(sharedBytes);
        String call = "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + "x" + gridZ + ", block " + blockX
                + "x" + blockY + "x" + blockZ + ", " + sharedBytes + " B shared)";
        Cuda.check(JCudaDriver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                stream.handle(), args.toPointer(), null), call);
        if (SYNC_EACH_LAUNCH) {
            Cuda.check(JCudaDriver.cuStreamSynchronize(stream.handle()), "cuStreamSynchronize after " + call);
        }
    }

    private synchronized void allowDynamicShared(int sharedBytes) {
        if (sharedBytes > dynamicSharedLimit) {
            Cuda.check(JCudaDriver.cuFuncSetAttribute(function,
                    CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                    "cuFuncSetAttribute(" + name + ", MAX_DYNAMIC_SHARED_SIZE_BYTES=" + sharedBytes + ")");
            dynamicSharedLimit = sharedBytes;
        }
    }
}
