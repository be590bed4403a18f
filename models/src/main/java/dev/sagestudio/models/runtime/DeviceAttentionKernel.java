package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.AttentionShape;
import java.util.Optional;

/**
 * The contract between the device path of the partitioned runner and a GPU attention kernel: Q, K
 * and V are read where ONNX Runtime left them and O is written into a buffer the runner then binds
 * as the next segment's input, so no tensor leaves the GPU between steps.
 *
 * <p>Status: {@code InPlaceKernelSteps} drives this contract and is tested on host memory with a
 * test kernel; {@code device.GpuDeviceKernel} implements it over our CUDA kernels, verified on an H100
 * (see {@code docs/onnx-runtime.md}, "Device path").
 */
public interface DeviceAttentionKernel {

    /** Backend name as used on command lines (e.g. {@code flash-fp16}). */
    String name();

    /** Why this kernel cannot run {@code shape}, or empty if it can. */
    Optional<String> unsupportedReason(AttentionShape shape);

    /**
     * Enqueues attention on {@code stream} without synchronizing. All pointers are device addresses
     * in the device's primary context, the one ONNX Runtime's CUDA EP uses; Q and O have Q's extents,
     * K and V the key/value extents, all in {@code shape.layout()} and {@code shape.dtype()}.
     */
    void enqueue(AttentionShape shape, double softmaxScale, long q, long k, long v, long o, long stream);
}
