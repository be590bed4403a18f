package dev.sagestudio.models.runtime;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of the runner tests: one single-threaded CPU ONNX Runtime per test class, closed after it. */
abstract class CpuRuntimeTest {
    static OrtRuntime runtime;

    @BeforeAll
    static void startRuntime() {
        runtime = OrtRuntime.cpu(1);
    }

    @AfterAll
    static void stopRuntime() {
        runtime.close();
    }
}
