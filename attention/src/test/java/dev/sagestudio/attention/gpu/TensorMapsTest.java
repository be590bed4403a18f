package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The copy engine's rules for a tensor map, checked on the host before the driver is asked (no GPU needed): what the
 * Hopper flash kernel's maps look like, and that a map the copy engine cannot read is refused with what is wrong,
 * never encoded into a silently different copy. Encoding itself runs on the GPU machine (HopperFlashKernelGpuTest).
 */
class TensorMapsTest {
    private static final long ALIGNED = 0x7f00_0000_0000L;

    /** The flash kernel's map of an fp16 [B2, H4, N700, D128] tensor stored NHD. */
    private static void checkNhd(long address, long tokenStrideBytes) {
        TensorMaps.check("q", 2, address, new long[] {128, 700, 4, 2},
                new long[] {tokenStrideBytes, 128 * 2, 700L * 4 * 128 * 2}, new int[] {64, 128, 1, 1},
                TensorMaps.SWIZZLE_128B);
    }

    @Test
    void aFlashInputViewWithAlignedAddressAndStridesIsAccepted() {
        assertDoesNotThrow(() -> checkNhd(ALIGNED, 4L * 128 * 2));
        assertDoesNotThrow(() -> checkNhd(ALIGNED + 16, 4L * 128 * 2));
    }

    @Test
    void anAddressOffSixteenBytesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> checkNhd(ALIGNED + 8, 1024));
        assertTrue(e.getMessage().startsWith("the copy engine cannot read q: the address 0x7f0000000008 is not"
                + " 16-byte aligned"), e.getMessage());
    }

    @Test
    void aStrideThatIsNoMultipleOfSixteenBytesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> checkNhd(ALIGNED, 1000));
        assertTrue(e.getMessage().contains("the stride of dim 1 (1000 bytes) is not a positive multiple of 16 below"
                + " 2^40"), e.getMessage());
    }

    @Test
    void boxRowsWiderThanTheSwizzleSpanAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorMaps.check("k", 2, ALIGNED, new long[] {128, 777}, new long[] {256}, new int[] {128, 128},
                        TensorMaps.SWIZZLE_128B));
        assertTrue(e.getMessage().contains("the box's rows of 256 bytes exceed the swizzle span of 128"),
                e.getMessage());
    }

    @Test
    void extentsAndBoxSidesOutsideTheirRangesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TensorMaps.check("v", 1, ALIGNED, new long[] {64, 0},
                new long[] {64}, new int[] {64, 128}, TensorMaps.SWIZZLE_64B));
        assertThrows(IllegalArgumentException.class, () -> TensorMaps.check("v", 1, ALIGNED, new long[] {64, 1000},
                new long[] {64}, new int[] {64, 257}, TensorMaps.SWIZZLE_64B));
        assertThrows(IllegalArgumentException.class, () -> TensorMaps.check("v", 1, ALIGNED, new long[] {64, 1000},
                new long[] {64, 64}, new int[] {64, 128}, TensorMaps.SWIZZLE_64B));
    }
}
