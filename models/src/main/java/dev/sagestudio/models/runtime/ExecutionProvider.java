package dev.sagestudio.models.runtime;

/** Where ONNX Runtime executes the graph's operators. */
public enum ExecutionProvider {
    CPU,
    CUDA
}
