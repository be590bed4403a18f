package dev.sagestudio.attention.catalog;

/** Where a backend's attention runs. */
public enum BackendDevice {
    /** On the host: our CPU backends, or ONNX Runtime's own attention. */
    CPU,
    /** On an NVIDIA GPU through our CUDA kernels. */
    GPU
}
