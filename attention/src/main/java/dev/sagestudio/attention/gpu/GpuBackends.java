package dev.sagestudio.attention.gpu;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The GPU attention backends of one device, sharing its primary context. {@link #close()} closes the
 * backends and releases the context.
 */
public final class GpuBackends implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GpuBackends.class.getName());

    private final GpuContext context;
    private final Map<GpuAttentionBackend.Variant, GpuAttentionBackend> backends =
            new EnumMap<>(GpuAttentionBackend.Variant.class);

    private GpuBackends(GpuContext context) {
        this.context = context;
    }

    /**
     * Opens device {@code ordinal} and checks that this build's kernels load on it.
     *
     * @throws GpuUnavailableException with the reason if there is no driver, no device, an old driver, or no
     *                                 kernels for this GPU
     */
    public static GpuBackends open(int ordinal) {
        GpuContext context = GpuContext.open(ordinal);
        try {
            context.kernels();
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
        GpuBackends opened = new GpuBackends(context);
        // On sm_90 a build with the wgmma kernels runs FP8 P·V natively (sage_int8_fp8_sm90_*): nothing emulated.
        boolean wgmmaFp8 = context.device().smArchitecture() == 90
                && context.kernels().hasKernel("sage_int8_fp8_sm90_d128");
        if (!context.device().hasNativeFp8MmaSync() && context.device().smArchitecture() >= 89 && !wgmmaFp8) {
            LOG.log(System.Logger.Level.INFO, () -> "sage-int8-fp8 on " + context.device().name() + " (sm_"
                    + context.device().smArchitecture() + "): FP8 mma.sync is not native on this architecture and"
                    + " runs emulated; expect it to be slower than sage-int8-fp16 here");
        }
        return opened;
    }

    public static GpuBackends open() {
        return open(0);
    }

    public GpuContext context() {
        return context;
    }

    public synchronized GpuAttentionBackend backend(GpuAttentionBackend.Variant variant) {
        context.requireOpen();
        return backends.computeIfAbsent(variant, v -> GpuAttentionBackend.create(context, v));
    }

    public synchronized List<GpuAttentionBackend> openBackends() {
        return new ArrayList<>(backends.values());
    }

    @Override
    public synchronized void close() {
        try {
            backends.values().forEach(GpuAttentionBackend::close);
            backends.clear();
        } finally {
            context.close();
        }
    }
}
