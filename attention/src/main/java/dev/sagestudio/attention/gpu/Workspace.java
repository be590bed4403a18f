package dev.sagestudio.attention.gpu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Scratch device memory for preprocessing (quantized Q/K, scales, K mean, converted V), grown on demand
 * and reused between calls. Buffers handed out stay valid until the next request for the same name asks
 * for more bytes, or until {@link #close()}.
 */
public final class Workspace implements AutoCloseable {
    private final GpuContext context;
    private final Map<String, DeviceBuffer> buffers = new LinkedHashMap<>();
    private boolean closed;

    Workspace(GpuContext context) {
        this.context = context;
    }

    /** The buffer named {@code name} with at least {@code bytes} bytes (aligned to 256 bytes by cuMemAlloc). */
    synchronized DeviceBuffer buffer(String name, long bytes) {
        if (closed) {
            throw new IllegalStateException("workspace is closed");
        }
        DeviceBuffer existing = buffers.get(name);
        if (existing != null && existing.bytes() >= bytes) {
            return existing;
        }
        if (existing != null) {
            existing.close();
            buffers.remove(name);
        }
        DeviceBuffer fresh = context.allocate(bytes);
        buffers.put(name, fresh);
        return fresh;
    }

    /** Bytes held now. */
    public synchronized long bytes() {
        return buffers.values().stream().mapToLong(DeviceBuffer::bytes).sum();
    }

    @Override
    public synchronized void close() {
        closed = true;
        buffers.values().forEach(DeviceBuffer::close);
        buffers.clear();
    }
}
