package dev.sagestudio.attention.gpu;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Arrays;

/**
 * Tensor maps for the copy engine (TMA) that feeds the Hopper kernels ({@code tma.cuh}): the 128 opaque bytes of a
 * {@code CUtensorMap}, encoded by the driver's {@code cuTensorMapEncodeTiled}, which JCuda does not bind, so it is
 * called in the driver library through JNA ({@link DriverLibrary}). A map describes a strided tensor of up to five
 * dimensions (innermost first) and the box one copy moves into shared memory, in a swizzled layout; elements past the
 * tensor's extents are read as zeros. The driver's alignment rules are checked here first and broken ones refused with
 * what is wrong: the global address 16-byte aligned, every stride a multiple of 16 bytes below 2^40, extents 1..2^32,
 * box sides 1..256 with the innermost one at most the swizzle span (the map's own 64-byte alignment is this class's
 * business).
 */
public final class TensorMaps {
    /** sizeof(CUtensorMap). */
    public static final int BYTES = 128;

    /** CUtensorMapDataType: the copy engine moves bits, so the element width is all that matters here. */
    static final int UINT8 = 0;
    static final int UINT16 = 1;
    /** CUtensorMapSwizzle: the byte layouts of swizzle.cuh's swz&lt;64&gt; and swz&lt;128&gt;. */
    static final int SWIZZLE_64B = 2;
    static final int SWIZZLE_128B = 3;
    private static final int INTERLEAVE_NONE = 0;
    private static final int L2_PROMOTION_256B = 3;
    private static final int OOB_FILL_ZEROS = 0;
    private static final long MAX_STRIDE = 1L << 40;
    private static final long MAX_EXTENT = 1L << 32;

    private TensorMaps() {}

    /**
     * A 16-bit {@code [B, H, N, D]} tensor view (fp16 or bf16, element strides {@code sb, sh, sn}, D contiguous) for
     * the Hopper flash kernel: dims (D, N, H, B), boxes of 64 columns × 128 rows, 128-byte swizzled (one 64-column
     * panel of a tile, flash_fwd_sm90.cuh).
     */
    static byte[] panels16(String what, DeviceTensor t) {
        return encodeTiled(what, UINT16, 2, t.buffer().address(),
                new long[] {t.headDim(), t.tokens(), t.heads(), t.batch()},
                new long[] {t.tokenStride() * 2, t.headStride() * 2, t.batchStride() * 2},
                new int[] {64, 128, 1, 1}, SWIZZLE_128B);
    }

    /**
     * A contiguous byte tensor {@code [count, rows, rowBytes]} (the Sage kernels' int8 q8 / k8 with rows of D bytes,
     * the e4m3 vt8 with D rows of NkP token bytes) for the Hopper Sage kernels: boxes of {@code boxRows} rows ×
     * {@code boxBytes} bytes, swizzled by the box's row width (128 bytes: SWIZZLE_128B, 64: SWIZZLE_64B), which
     * sage_int8_sm90.cuh's shared-memory tiles use.
     */
    static byte[] rows8(String what, DeviceBuffer buffer, long rowBytes, long rows, long count, int boxBytes,
                        int boxRows) {
        return encodeTiled(what, UINT8, 1, buffer.address(), new long[] {rowBytes, rows, count},
                new long[] {rowBytes, rowBytes * rows}, new int[] {boxBytes, boxRows, 1},
                boxBytes == 128 ? SWIZZLE_128B : SWIZZLE_64B);
    }

    /**
     * Encodes a tiled tensor map after checking the driver's rules (an {@link IllegalArgumentException} naming
     * {@code what} if one is broken; a {@link CudaException} if the driver refuses anyway).
     *
     * @param dims extents, innermost first
     * @param strideBytes byte strides of dims 1.. (dim 0 is contiguous)
     * @param box the box's extent in each dim
     */
    static byte[] encodeTiled(String what, int dataType, int elementBytes, long address, long[] dims,
                              long[] strideBytes, int[] box, int swizzle) {
        check(what, elementBytes, address, dims, strideBytes, box, swizzle);
        Memory raw = new Memory(BYTES + 64);
        Pointer map = raw.align(64);
        int[] elementStrides = new int[dims.length];
        Arrays.fill(elementStrides, 1);
        int rc = DriverLibrary.calls().cuTensorMapEncodeTiled(map, dataType, dims.length, new Pointer(address), dims,
                strideBytes, box, elementStrides, INTERLEAVE_NONE, swizzle, L2_PROMOTION_256B, OOB_FILL_ZEROS);
        if (rc != 0) {
            throw new CudaException("cuTensorMapEncodeTiled(" + describe(what, address, dims, strideBytes, box) + ")",
                    rc);
        }
        return map.getByteArray(0, BYTES);
    }

    /** The driver's rules for a tiled map, checked before the call. */
    static void check(String what, int elementBytes, long address, long[] dims, long[] strideBytes, int[] box,
                      int swizzle) {
        String problem = null;
        if (dims.length < 1 || dims.length > 5 || strideBytes.length != dims.length - 1 || box.length != dims.length) {
            problem = "a tiled map has 1 to 5 dims, one stride fewer and one box side per dim";
        } else if (address % 16 != 0) {
            problem = "the address 0x" + Long.toHexString(address) + " is not 16-byte aligned";
        } else {
            for (int i = 0; i < dims.length && problem == null; i++) {
                if (dims[i] < 1 || dims[i] > MAX_EXTENT) {
                    problem = "extent " + dims[i] + " of dim " + i + " is outside 1..2^32";
                } else if (box[i] < 1 || box[i] > 256) {
                    problem = "box side " + box[i] + " of dim " + i + " is outside 1..256";
                } else if (i > 0 && (strideBytes[i - 1] % 16 != 0 || strideBytes[i - 1] <= 0
                        || strideBytes[i - 1] >= MAX_STRIDE)) {
                    problem = "the stride of dim " + i + " (" + strideBytes[i - 1]
                            + " bytes) is not a positive multiple of 16 below 2^40";
                }
            }
            int span = swizzle == SWIZZLE_128B ? 128 : swizzle == SWIZZLE_64B ? 64 : Integer.MAX_VALUE;
            if (problem == null && (long) box[0] * elementBytes > span) {
                problem = "the box's rows of " + box[0] * elementBytes + " bytes exceed the swizzle span of " + span;
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("the copy engine cannot read " + what + ": " + problem + " ("
                    + describe(what, address, dims, strideBytes, box) + ")");
        }
    }

    private static String describe(String what, long address, long[] dims, long[] strideBytes, int[] box) {
        return what + " at 0x" + Long.toHexString(address) + ", dims " + Arrays.toString(dims) + ", byte strides "
                + Arrays.toString(strideBytes) + ", box " + Arrays.toString(box);
    }
}
