package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.GpuUnavailableException;
import org.junit.jupiter.api.Test;

/** Failures become in-window messages with the cause, what to do, and copyable details. */
class AppErrorTest {

    @Test
    void eachKindOfFailureSaysWhatToDo() {
        assertEquals("Out of memory", AppError.of(new OutOfMemoryError("Java heap space")).title());
        assertTrue(AppError.of(new OutOfMemoryError()).whatToDo().contains("-Xmx"));
        AppError noGpu = AppError.of(new GpuUnavailableException("No NVIDIA driver was found."));
        assertEquals("No usable GPU", noGpu.title());
        assertTrue(noGpu.whatToDo().contains("CPU backend"));
        assertEquals("Generation cancelled", AppError.of(new GenerationCancelledException("cancelled after 3 of"
                + " 20 steps")).title());
        AppError badFolder = AppError.of(new IllegalArgumentException("/x is not a usable model bundle: no"
                + " model.json"));
        assertEquals("Bad model folder", badFolder.title());
        assertTrue(badFolder.whatToDo().contains("model.json"));
    }

    @Test
    void theDetailsCarryTheStackTraceForABugReport() {
        AppError error = AppError.of(new IllegalStateException("session failed"));
        assertEquals("Generation failed", error.title());
        assertTrue(error.details().contains("java.lang.IllegalStateException: session failed"));
        assertTrue(error.details().contains("at dev.sagestudio.app.service.AppErrorTest"));
    }
}
