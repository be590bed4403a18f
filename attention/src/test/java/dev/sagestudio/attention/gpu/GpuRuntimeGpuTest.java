package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("gpu")
class GpuRuntimeGpuTest {
    private static final long MIB = 1L << 20;
    private static GpuContext context;

    @BeforeAll
    static void open() {
        context = GpuTestSupport.contextOrSkip();
        System.out.println("GPU under test: " + context.device().describe());
    }

    @AfterAll
    static void close() {
        if (context != null) {
            context.close();
        }
    }

    @Test
    void describesTheDevice() {
        DeviceInfo device = context.device();
        assertFalse(device.name().isBlank());
        assertTrue(device.major() >= 7, device.describe());
        assertTrue(device.multiprocessors() > 0, device.describe());
        assertTrue(device.totalMemoryBytes() > 1024 * MIB, device.describe());
        assertTrue(device.driverVersion() >= GpuStatus.MIN_DRIVER_VERSION, device.describe());
        GpuContext.MemoryInfo memory = context.memoryInfo();
        assertTrue(memory.freeBytes() > 0 && memory.freeBytes() <= memory.totalBytes(), memory.toString());
    }

    @Test
    void usesTheDevicesPrimaryContextSoOtherLibrariesShareIt() {
        try (GpuContext second = GpuContext.open(0)) {
            assertEquals(context.rawContextHandle(), second.rawContextHandle(),
                    "every retain of the primary context must give the same CUcontext");
        }
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, 0);
        int[] flags = new int[1];
        int[] active = new int[1];
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxGetState(device, flags, active), "cuDevicePrimaryCtxGetState");
        assertEquals(1, active[0], "our retain keeps the primary context active after another user released it");
        context.memoryInfo(); // still usable
    }

    @Test
    void thousandsOfAllocateFreeCyclesLeakNoDeviceMemory() {
        context.synchronize();
        long freeBefore = context.memoryInfo().freeBytes();
        long liveBefore = context.liveAllocations();
        SplittableRandom random = new SplittableRandom(7);
        byte[] probe = {1, 2, 3, 4};
        for (int i = 0; i < 5000; i++) {
            DeviceBuffer buffer = context.allocate(MIB + random.nextInt(8 * (int) MIB));
            buffer.copyFromHost(probe);
            buffer.close();
            if (i % 3 == 0) {
                buffer.close(); // a second close must be harmless
            }
        }
        context.synchronize();
        long freeAfter = context.memoryInfo().freeBytes();
        assertEquals(liveBefore, context.liveAllocations());
        assertTrue(freeBefore - freeAfter < 16 * MIB,
                "free memory fell by " + (freeBefore - freeAfter) / MIB + " MiB over 5000 allocate/free cycles");

        // The measurement can see a leak: 256 MiB held open shows up.
        try (DeviceBuffer held = context.allocate(256 * MIB)) {
            long freeHeld = context.memoryInfo().freeBytes();
            assertTrue(freeAfter - freeHeld >= 250 * MIB, "a held 256 MiB buffer was not visible in cuMemGetInfo");
            assertEquals(liveBefore + 1, context.liveAllocations());
        }
    }

    @Test
    void closedBuffersRefuseUseAndNameThemselves() {
        DeviceBuffer buffer = context.allocate(4096);
        DeviceBuffer slice = buffer.slice(1024, 1024);
        buffer.close();
        buffer.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buffer.copyFromHost(new byte[8]));
        assertTrue(e.getMessage().contains("already closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> slice.copyFromHost(new byte[8]),
                "a slice of a closed buffer is dead too");
    }

    @Test
    void borrowedBuffersAndSlicesNeverFreeTheOwnersMemory() {
        try (DeviceBuffer owner = context.allocate(64 * MIB)) {
            long live = context.liveAllocations();
            float[] data = new float[1024];
            for (int i = 0; i < data.length; i++) {
                data[i] = i * 0.5f;
            }
            owner.copyFromHost(data);
            DeviceBuffer borrowed = context.borrow(owner.address(), owner.bytes());
            assertFalse(borrowed.isOwner());
            borrowed.close();
            DeviceBuffer slice = owner.slice(4096, 4096);
            slice.close();
            assertEquals(live, context.liveAllocations());
            float[] back = new float[1024];
            owner.copyToHost(back);
            assertArrayEquals(data, back, "the owner's memory survives closing borrowed views");
            float[] tail = new float[512];
            try (DeviceBuffer view = context.borrow(owner.address() + 2048, 2048)) {
                view.copyToHost(tail);
            }
            assertEquals(256.0f, tail[0], "a borrowed raw address reads the right bytes");
        }
    }

    @Test
    void hostAndDeviceCopiesRoundTrip() {
        short[] bits = new short[10_001];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) (i * 31);
        }
        try (DeviceBuffer a = context.allocate(bits.length * 2L);
             DeviceBuffer b = context.allocate(bits.length * 2L);
             CudaStream stream = context.createStream()) {
            a.copyFromHost(bits);
            b.copyFrom(a, 0, a.bytes(), stream);
            stream.synchronize();
            short[] back = new short[bits.length];
            b.copyToHost(back);
            assertArrayEquals(bits, back);
            b.fill16((short) 0x7e00, stream);
            stream.synchronize();
            b.copyToHost(back);
            assertEquals((short) 0x7e00, back[bits.length - 1]);
            assertThrows(IllegalArgumentException.class, () -> a.copyFromHost(new short[bits.length + 1]));
        }
    }

    @Test
    void outOfMemoryIsAnExceptionNamingTheCallAndTheResult() {
        long tooMuch = context.device().totalMemoryBytes() * 2;
        long live = context.liveAllocations();
        CudaException e = assertThrows(CudaException.class, () -> context.allocate(tooMuch));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.resultName());
        assertTrue(e.getMessage().contains("cuMemAlloc(" + tooMuch + " bytes)"), e.getMessage());
        assertEquals(live, context.liveAllocations());
        context.memoryInfo(); // the context survives a failed allocation
    }

    @Test
    void eventsTimeWorkQueuedOnAStream() {
        try (CudaStream stream = context.createStream();
             CudaEvent start = context.createEvent();
             CudaEvent end = context.createEvent();
             DeviceBuffer buffer = context.allocate(512 * MIB)) {
            assertNotEquals(0L, stream.rawHandle());
            start.record(stream);
            for (int i = 0; i < 8; i++) {
                buffer.fillBytes((byte) i, stream);
            }
            end.record(stream);
            float millis = end.elapsedMillisSince(start);
            assertTrue(millis > 0 && millis < 10_000, "elapsed " + millis + " ms");
        }
    }

    @Test
    void aBorrowedStreamRunsWorkButIsNotDestroyed() {
        try (CudaStream owned = context.createStream(); DeviceBuffer buffer = context.allocate(MIB)) {
            CudaStream borrowed = context.borrowStream(owned.rawHandle());
            buffer.fillBytes((byte) 7, borrowed);
            borrowed.synchronize();
            borrowed.close();
            buffer.fillBytes((byte) 9, owned); // the owner's stream still works
            owned.synchronize();
            byte[] back = new byte[16];
            buffer.copyToHost(back);
            assertEquals(9, back[15]);
        }
    }
}
