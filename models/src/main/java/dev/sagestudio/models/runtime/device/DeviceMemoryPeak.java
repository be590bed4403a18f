package dev.sagestudio.models.runtime.device;

import dev.sagestudio.attention.gpu.GpuContext;
import java.time.Duration;

/**
 * The most device memory in use while it is open: a background thread samples {@code cuMemGetInfo} (the
 * whole GPU, every process and allocator on it) at a fixed interval. ONNX Runtime's CUDA arena keeps
 * what it has grown to until its session closes, so its share of the peak is seen whenever it is
 * sampled; a buffer that lives shorter than the interval can be missed.
 */
public final class DeviceMemoryPeak implements AutoCloseable {
    private final GpuContext context;
    private final long inUseAtStart;
    private final Thread sampler;
    private volatile long peakInUse;
    private volatile boolean stopped;
    private volatile RuntimeException failure;

    private DeviceMemoryPeak(GpuContext context, Duration interval) {
        this.context = context;
        this.inUseAtStart = inUse(context.memoryInfo());
        this.peakInUse = inUseAtStart;
        this.sampler = new Thread(() -> sample(interval), "device-memory-peak");
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * Starts sampling device {@code device} every {@code interval}.
     *
     * @throws dev.sagestudio.attention.gpu.GpuUnavailableException if there is no usable GPU
     */
    public static DeviceMemoryPeak start(int device, Duration interval) {
        return new DeviceMemoryPeak(GpuContext.open(device), interval);
    }

    private void sample(Duration interval) {
        try {
            while (!stopped) {
                peakInUse = Math.max(peakInUse, inUse(context.memoryInfo()));
                Thread.sleep(interval.toMillis(), interval.toNanosPart() % 1_000_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private static long inUse(GpuContext.MemoryInfo info) {
        return info.totalBytes() - info.freeBytes();
    }

    /** Device memory in use when sampling started. */
    public long inUseAtStart() {
        return inUseAtStart;
    }

    /** The largest amount in use seen so far, minus what was in use at the start. */
    public long peakAboveStart() {
        if (failure != null) {
            throw new IllegalStateException("sampling device memory failed: " + failure.getMessage(), failure);
        }
        return Math.max(0, Math.max(peakInUse, inUse(context.memoryInfo())) - inUseAtStart);
    }

    /** Device memory in use now (the whole GPU), minus what was in use at the start. */
    public long inUseAboveStart() {
        return Math.max(0, inUse(context.memoryInfo()) - inUseAtStart);
    }

    /** The device's total memory. */
    public long totalBytes() {
        return context.memoryInfo().totalBytes();
    }

    @Override
    public void close() {
        stopped = true;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            context.close();
        }
    }
}
