package dev.sagestudio.models.runtime;

/**
 * Raw memory of the device the partitioned runner keeps its tensors on: allocations whose addresses
 * are wrapped as ONNX Runtime tensors, and the copies in and out that the runner makes only for the
 * model's inputs and outputs. {@code device.GpuDeviceMemory} is the CUDA implementation.
 */
public interface DeviceMemory {

    /** Human-readable name of the memory (e.g. {@code "CUDA device 0 (NVIDIA H100 80GB HBM3)"}). */
    String describe();

    /** A new allocation of at least {@code bytes} bytes (bytes ≥ 1), aligned to at least 16 bytes. */
    Allocation allocate(long bytes);

    /** Copies {@code source} to {@code address}; the data is in place when this returns. */
    void copyIn(long address, byte[] source);

    /** Copies {@code target.length} bytes from {@code address}, after all work queued so far has finished. */
    void copyOut(long address, byte[] target);

    /** Device memory owned by its holder; closing frees it (once). */
    interface Allocation extends AutoCloseable {
        long address();

        long bytes();

        @Override
        void close();
    }
}
