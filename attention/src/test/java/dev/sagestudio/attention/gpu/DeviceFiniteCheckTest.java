package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host side of the device NaN/Inf check: how slots are read and how many blocks a check launches. */
class DeviceFiniteCheckTest {

    /** Slot bytes as check_finite_* leaves them: the count, then the complement of (first index << 2 | kind). */
    private static byte[] slots(long[]... countIndexKind) {
        ByteBuffer b = ByteBuffer.allocate(countIndexKind.length * DeviceFiniteCheck.SLOT_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (long[] slot : countIndexKind) {
            b.putLong(slot[0]).putLong(slot[0] == 0 ? 0 : ~((slot[1] << 2) | slot[2]));
        }
        return b.array();
    }

    @Test
    void clearSlotsAreNotFindingsAndFilledOnesNameCountIndexAndValue() {
        byte[] bytes = slots(new long[] {0, 0, 0}, new long[] {5, 1234, 0}, new long[] {0, 0, 0},
                new long[] {1, 0, 1}, new long[] {7, (1L << 40) + 3, 2});
        assertEquals(List.of(new DeviceFiniteCheck.Finding(1, 5, 1234, "NaN"),
                new DeviceFiniteCheck.Finding(3, 1, 0, "+Inf"),
                new DeviceFiniteCheck.Finding(4, 7, (1L << 40) + 3, "-Inf")), DeviceFiniteCheck.decode(bytes));
        assertEquals(List.of(), DeviceFiniteCheck.decode(new byte[4 * DeviceFiniteCheck.SLOT_BYTES]));
    }

    @Test
    void aCheckLaunchesOnePassOfFourSixteenByteLoadsPerThreadUpToEightBlocksPerMultiprocessor() {
        assertEquals(1, DeviceFiniteCheck.blocks(2, 256, 132));
        assertEquals(1, DeviceFiniteCheck.blocks(256 * 4 * 16, 256, 132));
        assertEquals(2, DeviceFiniteCheck.blocks(256 * 4 * 16 + 1, 256, 132));
        // the bundled video model's attention output (B2 H4 N2048 D128 fp16, 4 MiB): 256 blocks, one pass
        assertEquals(256, DeviceFiniteCheck.blocks(2L * 4 * 2048 * 128 * 2, 256, 132));
        assertEquals(1056, DeviceFiniteCheck.blocks(400_000_000, 256, 132));
        assertEquals(8, DeviceFiniteCheck.blocks(400_000_000, 256, 0));
    }
}
