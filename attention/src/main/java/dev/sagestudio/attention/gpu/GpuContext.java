package dev.sagestudio.attention.gpu;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device's <em>primary</em> context, retained with {@code cuDevicePrimaryCtxRetain} so that
 * ONNX Runtime's CUDA EP (which uses the primary context through the runtime API) shares our memory and
 * streams. Every operation makes the context current on the calling thread first, so a context may be
 * used from any thread. {@link #close()} releases our reference (the driver destroys the context when
 * its last user releases it) and is safe to call twice.
 */
public final class GpuContext implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GpuContext.class.getName());

    private final DeviceInfo device;
    private final CUdevice cuDevice;
    private final Handles.Context context;
    private final long contextAddress;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong liveAllocations = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private KernelModule kernels;

    private GpuContext(DeviceInfo device, CUdevice cuDevice, Handles.Context context) {
        this.device = device;
        this.cuDevice = cuDevice;
        this.context = context;
        this.contextAddress = context.address();
    }

    /** Opens device 0. */
    public static GpuContext open() {
        return open(0);
    }

    /**
     * Retains the primary context of device {@code ordinal}.
     *
     * @throws GpuUnavailableException if there is no usable driver or device, with the reason
     */
    public static GpuContext open(int ordinal) {
        GpuStatus status = GpuStatus.probe();
        status.requireAvailable();
        if (ordinal < 0 || ordinal >= status.devices().size()) {
            throw new GpuUnavailableException("there is no CUDA device " + ordinal + "; this machine has "
                    + status.devices().size() + " (numbered from 0)");
        }
        DeviceInfo info = status.devices().get(ordinal);
        CUdevice cuDevice = new CUdevice();
        Cuda.check(JCudaDriver.cuDeviceGet(cuDevice, ordinal), "cuDeviceGet(" + ordinal + ")");
        Handles.Context context = new Handles.Context();
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, cuDevice),
                "cuDevicePrimaryCtxRetain(device " + ordinal + ")");
        GpuContext opened = new GpuContext(info, cuDevice, context);
        opened.makeCurrent();
        LOG.log(System.Logger.Level.DEBUG, () -> "retained primary context of " + info.describe());
        return opened;
    }

    public DeviceInfo device() {
        return device;
    }

    /** The raw {@code CUcontext} (the device's primary context), for sharing with ONNX Runtime. */
    public long rawContextHandle() {
        requireOpen();
        return contextAddress;
    }

    /** Makes this context current on the calling thread. */
    public void makeCurrent() {
        requireOpen();
        Cuda.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent(primary context of GPU "
                + device.ordinal() + ")");
    }

    /** Free and total device memory now, from {@code cuMemGetInfo}. */
    public MemoryInfo memoryInfo() {
        makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        Cuda.check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new MemoryInfo(free[0], total[0]);
    }

    /** Free and total device memory in bytes. */
    public record MemoryInfo(long freeBytes, long totalBytes) {}

    /** Allocates {@code bytes} of device memory that the returned buffer owns. */
    public DeviceBuffer allocate(long bytes) {
        return DeviceBuffer.allocate(this, bytes);
    }

    /** Wraps device memory owned by someone else (e.g. an ONNX Runtime tensor); closing it frees nothing. */
    public DeviceBuffer borrow(long address, long bytes) {
        requireOpen();
        return DeviceBuffer.borrow(this, address, bytes);
    }

    /** A new non-blocking stream owned by the caller. */
    public CudaStream createStream() {
        makeCurrent();
        return CudaStream.create(this);
    }

    /** Wraps a raw {@code CUstream} created elsewhere (0 = the legacy default stream); closing it destroys nothing. */
    public CudaStream borrowStream(long rawHandle) {
        requireOpen();
        return CudaStream.borrow(this, rawHandle);
    }

    /** Scratch memory for {@link GpuAttentionBackend#prepare}, owned by the caller. */
    public Workspace createWorkspace() {
        requireOpen();
        return new Workspace(this);
    }

    public CudaEvent createEvent() {
        return new CudaEvent(this);
    }

    /** Waits for all work in this context. */
    public void synchronize() {
        makeCurrent();
        Cuda.check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /**
     * The kernels of this build, loaded into this context on first use.
     *
     * @throws GpuUnavailableException if this build has no kernels or they do not fit this GPU/driver
     */
    public synchronized KernelModule kernels() {
        requireOpen();
        if (kernels == null) {
            makeCurrent();
            kernels = KernelModule.load(this);
        }
        return kernels;
    }

    /** The kernels if they could be loaded, else why not (never throws for a missing fatbin). */
    public synchronized Optional<String> kernelsUnavailableReason() {
        try {
            kernels();
            return Optional.empty();
        } catch (GpuUnavailableException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** Device buffers allocated through this context and not yet closed. */
    public long liveAllocations() {
        return liveAllocations.get();
    }

    public long liveBytes() {
        return liveBytes.get();
    }

    void allocationOpened(long bytes) {
        liveAllocations.incrementAndGet();
        liveBytes.addAndGet(bytes);
    }

    void allocationClosed(long bytes) {
        liveAllocations.decrementAndGet();
        liveBytes.addAndGet(-bytes);
    }

    void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the GPU context of " + device.name() + " is closed");
        }
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Unloads our kernels and releases our reference to the primary context. Buffers should be closed first. */
    @Override
    public synchronized void close() {
        if (closed.get()) {
            return;
        }
        try {
            if (kernels != null) {
                makeCurrent();
                kernels.unload();
                kernels = null;
            }
            if (liveAllocations.get() != 0) {
                LOG.log(System.Logger.Level.WARNING, "closing the GPU context with " + liveAllocations.get()
                        + " device buffer(s) (" + liveBytes.get() + " bytes) still open");
            }
        } finally {
            closed.set(true);
            Cuda.check(JCudaDriver.cuDevicePrimaryCtxRelease(cuDevice),
                    "cuDevicePrimaryCtxRelease(device " + device.ordinal() + ")");
        }
    }

    @Override
    public String toString() {
        return "GpuContext(" + device.describe() + ", primary context 0x" + Long.toHexString(contextAddress) + ")";
    }
}
