package dev.sagestudio.attention.gpu;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * One kernel of the {@link KernelModule}, launched with {@code cuLaunchKernel} and its one parameter
 * struct ({@link KernelParams}). Launch failures name the kernel and the parameters. With the
 * system property {@code sagestudio.cuda.syncEachLaunch=true} every launch is followed by a stream
 * synchronization, so a fault is reported against the kernel that caused it.
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

    /**
     * Keys per online-softmax step (P is rounded against the running max of each step), from the build manifest:
     * what a CPU emulator of this kernel must use; 0 where the manifest gives none (kernels that quantize nothing).
     */
    public int softmaxKeys() {
        return entry.softmaxKeys();
    }

    /**
     * Query rows per CTA tile of a Hopper attention kernel, from the build manifest: the tiles it walks and the rows
     * of its Q tensor map's box; 0 where the manifest gives none (the others).
     */
    public int tileRows() {
        return entry.tileRows();
    }

    /** Launches with the manifest's block size and dynamic shared memory. */
    void launch(int gridX, int gridY, int gridZ, CudaStream stream, KernelParams.Packed params) {
        launch(gridX, gridY, gridZ, entry.blockThreads(), 1, 1, entry.dynamicSharedBytes(), stream, params);
    }

    public String name() {
        return name;
    }

    /** Launches on {@code stream} with the given grid, block and dynamic shared memory. */
    void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes,
                CudaStream stream, KernelParams.Packed params) {
        if (!params.layout().name().equals(entry.params())) {
            throw new IllegalArgumentException("kernel " + name + " takes " + entry.params() + ", not "
                    + params.layout().name());
        }
        if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 || blockZ <= 0 || sharedBytes < 0) {
            throw new IllegalArgumentException("kernel " + name + ": grid (" + gridX + ", " + gridY + ", " + gridZ
                    + ") and block (" + blockX + ", " + blockY + ", " + blockZ + ") must be positive, shared memory "
                    + sharedBytes + " not negative");
        }
        context.makeCurrent();
        allowDynamicShared(sharedBytes);
        // The entry's one parameter: the struct's bytes, copied by the driver at the call.
        Pointer kernelParams = Pointer.to(Pointer.to(params.bytes()));
        int launched = JCudaDriver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                stream.handle(), kernelParams, null);
        // The messages are built only on failure: a launch is on every attention call's path, and describing the
        // parameter struct formats all of its fields.
        if (launched != CUresult.CUDA_SUCCESS) {
            Cuda.check(launched, describe(gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes) + " with " + params);
        }
        if (SYNC_EACH_LAUNCH) {
            int synced = JCudaDriver.cuStreamSynchronize(stream.handle());
            if (synced != CUresult.CUDA_SUCCESS) {
                Cuda.check(synced, "cuStreamSynchronize after "
                        + describe(gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes));
            }
        }
    }

    private String describe(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {
        return "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + "x" + gridZ + ", block " + blockX + "x"
                + blockY + "x" + blockZ + ", " + sharedBytes + " B shared)";
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
