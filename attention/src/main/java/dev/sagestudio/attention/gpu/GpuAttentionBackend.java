package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One of our CUDA attention kernels as an {@link AttentionBackend}, plus a device-pointer API for
 * callers whose tensors already live on the GPU (the ONNX Runtime path).
 *
 * <p>Launch sequences follow {@code attention/src/main/cuda/ABI.md}. Head dims other than 64 and 128
 * are refused with a reason; the caller picks and reports a fallback ({@code models.pipeline.AttentionResolver}).
 */
public final class GpuAttentionBackend implements AttentionBackend, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GpuAttentionBackend.class.getName());
    private static final double LOG2_E = 1.4426950408889634;

    /** The kernels this backend can be. */
    public enum Variant {
        /**
         * Full-precision flash attention in fp16 (bf16 for bf16 inputs), the full-precision side of comparisons:
         * a wgmma kernel on Hopper (compute capability 9.0), a FlashAttention-2-style mma.sync kernel elsewhere.
         */
        FLASH_FP16("flash-fp16"),
        /** SageAttention: INT8 QK^T with smoothed K, FP16 PV accumulated in FP32. */
        SAGE_INT8_FP16("sage-int8-fp16"),
        /** As {@link #SAGE_INT8_FP16}, with PV accumulated in FP16 inside each 64-key block. */
        SAGE_INT8_FP16ACC("sage-int8-fp16acc"),
        /** SageAttention2: INT8 QK^T, FP8 (e4m3) PV with per-channel V scales, two-level accumulation. */
        SAGE_INT8_FP8("sage-int8-fp8");

        private final String backendName;

        Variant(String backendName) {
            this.backendName = backendName;
        }

        public String backendName() {
            return backendName;
        }

        public boolean quantized() {
            return this != FLASH_FP16;
        }
    }

    /** Head dims the kernels are compiled for. */
    public static final int[] HEAD_DIMS = {64, 128};

    private final GpuContext context;
    private final Variant variant;
    private final Workspace workspace;
    private CudaStream hostStream;
    private boolean closed;
    private final java.util.Set<Integer> loggedKernel = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Map<Integer, Boolean> hasSm90Kernel = new java.util.concurrent.ConcurrentHashMap<>();

    private GpuAttentionBackend(GpuContext context, Variant variant) {
        this.context = context;
        this.variant = variant;
        this.workspace = new Workspace(context);
    }

    /** A backend running {@code variant} in {@code context}; the context stays the caller's to close. */
    public static GpuAttentionBackend create(GpuContext context, Variant variant) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(variant, "variant");
        return new GpuAttentionBackend(context, variant);
    }

    @Override
    public String name() {
        return variant.backendName();
    }

    public Variant variant() {
        return variant;
    }

    public GpuContext context() {
        return context;
    }

    @Override
    public Optional<String> unsupportedReason(AttentionShape shape) {
        Optional<String> kernels = context.kernelsUnavailableReason();
        if (kernels.isPresent()) {
            return kernels;
        }
        return shapeUnsupportedReason(variant, context.device(), shape.headDim(), shape.batch(), shape.qHeads());
    }

    /** Why {@code variant} cannot run this head dim / grid on {@code device} (no kernel check). */
    static Optional<String> shapeUnsupportedReason(Variant variant, DeviceInfo device, int headDim, int batch,
                                                   int qHeads) {
        if (Arrays.stream(HEAD_DIMS).noneMatch(d -> d == headDim)) {
            return Optional.of("head dim " + headDim + " is not supported: the " + variant.backendName()
                    + " kernels are compiled for head dims 64 and 128");
        }
        if (variant == Variant.SAGE_INT8_FP8 && device.smArchitecture() < 89) {
            return Optional.of("FP8 (e4m3) matrix instructions need compute capability 8.9 or newer; "
                    + device.name() + " has " + device.computeCapability());
        }
        if (batch > 65535 || qHeads > 65535) {
            return Optional.of("batch (" + batch + ") and heads (" + qHeads + ") must each be at most 65535"
                    + " (CUDA grid limits)");
        }
        return Optional.empty();
    }

    /**
     * The attention kernel (its {@code extern "C"} entry, ABI.md) that this backend launches for
     * {@code headDim} on this context's device; preprocessing kernels are not named. For reports and
     * logs: on Hopper the variants with a wgmma kernel run {@code *_sm90_d*} ({@code flash-fp16}: the
     * entry of each input dtype).
     */
    public String attentionKernel(int headDim) {
        String entry = attentionKernel(variant, context.device(), headDim, moduleHasSm90(headDim));
        if (loggedKernel.add(headDim)) {
            LOG.log(System.Logger.Level.INFO, variant.backendName() + " D=" + headDim + " runs kernel " + entry
                    + " on " + context.device().name() + " (compute capability "
                    + context.device().computeCapability() + ")");
        }
        return entry;
    }

    /**
     * Which kernel entry runs {@code variant} at {@code headDim} on {@code device}. The wgmma kernels
     * exist as sm_90a code only (every other target's entry traps), so they are chosen on compute
     * capability 9.0 exactly, when the module has them.
     */
    static String attentionKernel(Variant variant, DeviceInfo device, int headDim, boolean moduleHasSm90) {
        boolean sm90 = runsSm90(variant, device, moduleHasSm90);
        String entries = variant == Variant.FLASH_FP16
                ? flashEntry(DType.FP16, sm90, headDim) + " (" + flashEntry(DType.BF16, sm90, headDim)
                        + " for bf16 inputs)"
                : sageEntry(variant, sm90, headDim);
        return sm90 && fedByCopyEngine(variant) ? entries + ", fed by the copy engine (TMA)" : entries;
    }

    /**
     * The entry name alone (the manifest's key) of the attention kernel this quantized backend launches for
     * {@code headDim}; {@link #attentionKernel(int)} describes it for reports.
     */
    String sageKernelEntry(int headDim) {
        return sageEntry(variant, runsSm90(variant, context.device(), moduleHasSm90(headDim)), headDim);
    }

    /** Whether the sm90 kernel of {@code variant} loads its inputs through tensor maps (the copy engine). */
    static boolean fedByCopyEngine(Variant variant) {
        return variant != Variant.SAGE_INT8_FP16ACC;
    }

    /** The Sage entry of {@code variant} (a quantized one) at {@code headDim}. */
    private static String sageEntry(Variant variant, boolean sm90, int headDim) {
        return switch (variant) {
            case SAGE_INT8_FP16 -> "sage_int8_fp16" + (sm90 ? "_sm90" : "") + "_d" + headDim;
            case SAGE_INT8_FP16ACC -> "sage_int8_fp16acc_d" + headDim;
            case SAGE_INT8_FP8 -> "sage_int8_fp8" + (sm90 ? "_sm90" : "") + "_d" + headDim;
            case FLASH_FP16 -> throw new IllegalArgumentException("flash-fp16 has an entry per dtype");
        };
    }

    /** Whether {@code variant} runs its Hopper wgmma kernel on {@code device} (fp16acc has none). */
    private static boolean runsSm90(Variant variant, DeviceInfo device, boolean moduleHasSm90) {
        return variant != Variant.SAGE_INT8_FP16ACC && device.smArchitecture() == 90 && moduleHasSm90;
    }

    /** The flash entry for inputs of {@code dtype} (fp32 inputs run the fp16 one after conversion). */
    private static String flashEntry(DType dtype, boolean sm90, int headDim) {
        return "flash_fwd_" + (dtype == DType.BF16 ? "bf16" : "f16") + (sm90 ? "_sm90" : "") + "_d" + headDim;
    }

    /** Whether this build's module holds the wgmma kernel of this variant (a build may predate it). */
    private boolean moduleHasSm90(int headDim) {
        String probe = switch (variant) {
            case FLASH_FP16 -> flashEntry(DType.FP16, true, headDim);
            case SAGE_INT8_FP16 -> "sage_int8_fp16_sm90_d" + headDim;
            case SAGE_INT8_FP8 -> "sage_int8_fp8_sm90_d" + headDim;
            case SAGE_INT8_FP16ACC -> null;
        };
        return probe != null && hasSm90Kernel.computeIfAbsent(headDim, d -> context.kernels().hasKernel(probe));
    }

    // ------------------------------------------------------------------ host API

    /**
     * Uploads Q, K and V, runs the kernels, downloads O. O is poisoned with NaN before the launch, so an
     * element the kernel fails to write shows up as NaN instead of a stale value.
     */
    @Override
    public synchronized HostTensor compute(AttentionRequest request) {
        requireOpen();
        requireSupported(request.shape());
        if (hostStream == null) {
            hostStream = context.createStream();
        }
        HostTensor q = request.q();
        try (DeviceTensor dq = DeviceTensor.upload(context, q);
             DeviceTensor dk = DeviceTensor.upload(context, request.k());
             DeviceTensor dv = DeviceTensor.upload(context, request.v());
             DeviceTensor dout = DeviceTensor.allocate(context, q.dtype(), q.layout(), q.batch(), q.heads(),
                     q.tokens(), q.headDim())) {
            dout.poisonWithNaN(hostStream);
            attend(dq, dk, dv, dout, request.causal(), request.softmaxScale(), hostStream);
            hostStream.synchronize();
            return dout.download();
        }
    }

    // ------------------------------------------------------------------ device API

    /**
     * O = attention(Q, K, V) on tensors already on the GPU, queued on {@code stream} (the call returns
     * before the GPU finishes). Uses this backend's own workspace, so concurrent calls are serialized.
     *
     * @param softmaxScale the scale applied to Q·K^T, usually 1/sqrt(D)
     */
    public synchronized void attend(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor o, boolean causal,
                                    double softmaxScale, CudaStream stream) {
        requireOpen();
        Prepared prepared = prepare(q, k, v, softmaxScale, workspace, stream);
        attendPrepared(prepared, o, causal, stream);
    }

    /** A workspace for {@link #prepare}, owned by the caller (e.g. one per rotating input set in benchmarks). */
    public Workspace newWorkspace() {
        return context.createWorkspace();
    }

    /**
     * Inputs after preprocessing (K mean, INT8 Q/K with scales, V converted), ready for
     * {@link #attendPrepared}. Valid until its workspace is closed or reused by another {@code prepare}.
     */
    public static final class Prepared {
        final Variant variant;
        final int batch;
        final int qHeads;
        final int kvHeads;
        final int qLen;
        final int kvLen;
        final int headDim;
        final DType inputDType;
        final double softmaxScale;
        // flash: q/k/v in fp16 or bf16; sage: v in fp16 (fp16 variants)
        final DeviceTensor q;
        final DeviceTensor k;
        final DeviceTensor v;
        // sage only
        final DeviceBuffer q8;
        final DeviceBuffer qScale;
        final DeviceBuffer k8;
        final DeviceBuffer kScale;
        final DeviceBuffer vFp8;
        final DeviceBuffer vScale;

        private Prepared(Variant variant, DeviceTensor originalQ, DeviceTensor originalK, double softmaxScale,
                         DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceBuffer q8, DeviceBuffer qScale,
                         DeviceBuffer k8, DeviceBuffer kScale, DeviceBuffer vFp8, DeviceBuffer vScale) {
            this.variant = variant;
            this.batch = originalQ.batch();
            this.qHeads = originalQ.heads();
            this.kvHeads = originalK.heads();
            this.qLen = originalQ.tokens();
            this.kvLen = originalK.tokens();
            this.headDim = originalQ.headDim();
            this.inputDType = originalQ.dtype();
            this.softmaxScale = softmaxScale;
            this.q = q;
            this.k = k;
            this.v = v;
            this.q8 = q8;
            this.qScale = qScale;
            this.k8 = k8;
            this.kScale = kScale;
            this.vFp8 = vFp8;
            this.vScale = vScale;
        }

        public String describe() {
            return variant.backendName() + " B=" + batch + " Hq=" + qHeads + " Hkv=" + kvHeads + " Nq=" + qLen
                    + " Nkv=" + kvLen + " D=" + headDim + " " + inputDType.label();
        }
    }

    /** Runs the preprocessing kernels for this variant on {@code stream} into {@code workspace}. */
    public Prepared prepare(DeviceTensor q, DeviceTensor k, DeviceTensor v, double softmaxScale, Workspace workspace,
                            CudaStream stream) {
        requireOpen();
        validateInputs(q, k, v, softmaxScale);
        KernelModule kernels = context.kernels();
        int batch = q.batch();
        int hq = q.heads();
        int hkv = k.heads();
        int nq = q.tokens();
        int nk = k.tokens();
        int d = q.headDim();
        String dt = suffix(q.dtype());
        if (variant == Variant.FLASH_FP16) {
            if (q.dtype() != DType.FP32) {
                return new Prepared(variant, q, k, softmaxScale, q, k, v, null, null, null, null, null, null);
            }
            DeviceTensor q16 = toFp16(kernels, q, workspace.buffer("q16", bytes16(q)), stream);
            DeviceTensor k16 = toFp16(kernels, k, workspace.buffer("k16", bytes16(k)), stream);
            DeviceTensor v16 = toFp16(kernels, v, workspace.buffer("v16", bytes16(v)), stream);
            return new Prepared(variant, q, k, softmaxScale, q16, k16, v16, null, null, null, null, null, null);
        }
        long nqPadded = cdiv(nq, 128) * 128L;
        long nkPadded = cdiv(nk, 64) * 64L;
        boolean fp8 = variant == Variant.SAGE_INT8_FP8;
        int splits = statSplits(nk);
        KernelParams.SagePrepOutputs out = new KernelParams.SagePrepOutputs(
                workspace.buffer("q8", batch * hq * nqPadded * d),
                workspace.buffer("qScale", batch * hq * (nqPadded / 32) * 4),
                workspace.buffer("k8", batch * hkv * nkPadded * d),
                workspace.buffer("kScale", batch * hkv * (nkPadded / 64) * 4),
                workspace.buffer("kMean", (long) batch * hkv * d * 4),
                fp8 ? workspace.buffer("vFp8", batch * hkv * d * nkPadded) : null,
                fp8 ? workspace.buffer("vScale", (long) batch * hkv * d * 4) : null,
                workspace.buffer("statPartials", (long) batch * hkv * splits * d * 12), splits);
        KernelParams.Packed params = KernelParams.sagePrep(q, k, v, out, (float) (softmaxScale * LOG2_E), 32);
        // Q's quantization rides in the statistics launch (it needs no statistics): ABI.md §1.
        kernels.kernel("pre_sage_stats_" + dt).launch(splits + hq / hkv * (int) (nqPadded / 128), hkv, batch, stream,
                params);
        kernels.kernel("pre_sage_quant_" + dt).launch((int) (nkPadded / 64), hkv, batch, stream, params);
        if (fp8) {
            return new Prepared(variant, q, k, softmaxScale, null, null, null, out.q8(), out.qScale(), out.k8(),
                    out.kScale(), out.vt8(), out.vScale());
        }
        DeviceTensor v16 = v.dtype() == DType.FP16 ? v : toFp16(kernels, v, workspace.buffer("v16", bytes16(v)), stream);
        return new Prepared(variant, q, k, softmaxScale, null, null, v16, out.q8(), out.qScale(), out.k8(),
                out.kScale(), null, null);
    }

    /**
     * Token ranges per (batch, kv-head) that {@code pre_sage_stats} reduces in parallel: one per 1024 keys, at
     * most 8 (more blocks for short sequences and few heads; the quantization launch combines the ranges, so
     * more would cost it reads). attention/bench/sskernels.py uses the same rule, so both give the same K mean.
     */
    static int statSplits(int kvLen) {
        return Math.min(8, cdiv(kvLen, 1024));
    }

    /** Runs the attention kernel itself on prepared inputs, writing {@code o} (Q's extents; any dtype/layout). */
    public void attendPrepared(Prepared p, DeviceTensor o, boolean causal, CudaStream stream) {
        requireOpen();
        if (p.variant != variant) {
            throw new IllegalArgumentException("inputs prepared for " + p.variant.backendName() + " cannot run on "
                    + variant.backendName());
        }
        if (o.batch() != p.batch || o.heads() != p.qHeads || o.tokens() != p.qLen || o.headDim() != p.headDim) {
            throw new IllegalArgumentException("output " + o.describe() + " must have Q's extents [" + p.batch + ", "
                    + p.qHeads + ", " + p.qLen + ", " + p.headDim + "]");
        }
        requireAligned(o, "o");
        launchAttention(p, o, causal, stream, attentionEntry(p), context.device().multiprocessors());
    }

    /** The entry {@link #attendPrepared} launches for these inputs. */
    private String attentionEntry(Prepared p) {
        if (!loggedKernel.contains(p.headDim)) {
            attentionKernel(p.headDim); // logs the choice once per head dim
        }
        boolean sm90 = runsSm90(variant, context.device(), moduleHasSm90(p.headDim));
        return variant == Variant.FLASH_FP16 ? flashEntry(p.q.dtype(), sm90, p.headDim)
                : sageEntry(variant, sm90, p.headDim);
    }

    /**
     * Launches attention kernel {@code entry} on prepared inputs. The wgmma entries walk their tiles
     * with any grid (ABI.md §3) and get one CTA per tile up to {@code maxCtas}: the multiprocessor
     * count (a persistent grid) in production; tests pass other caps to check that every grid gives
     * the same bits, and name the mma.sync entry to compare it with the wgmma one on a Hopper card.
     */
    void launchAttention(Prepared p, DeviceTensor o, boolean causal, CudaStream stream, String entry, int maxCtas) {
        Kernel kernel = context.kernels().kernel(entry);
        int outDtype = outDTypeCode(o.dtype());
        boolean sm90 = entry.contains("_sm90_");
        // The wgmma entries' tiles: the manifest's tile_rows query rows (128, or 192 for a three-warpgroup build).
        int tileRows = sm90 ? sm90TileRows(kernel) : 128;
        int qBlocks = cdiv(p.qLen, tileRows);
        KernelParams.InputMaps maps = sm90 ? inputMaps(p, tileRows) : null;
        KernelParams.Packed params = variant == Variant.FLASH_FP16
                ? KernelParams.flash(p.q, p.k, p.v, o, (float) p.softmaxScale, causal, outDtype, maps)
                : KernelParams.sage(p.q8, p.qScale, p.k8, p.kScale, variant == Variant.SAGE_INT8_FP8 ? null : p.v,
                        p.vFp8, p.vScale, o, p.batch, p.qHeads, p.kvHeads, p.qLen, p.kvLen, causal, outDtype, maps);
        if (sm90) {
            long tiles = (long) qBlocks * p.qHeads * p.batch;
            kernel.launch((int) Math.max(1, Math.min(tiles, maxCtas)), 1, 1, stream, params);
        } else {
            kernel.launch(qBlocks, p.qHeads, p.batch, stream, params);
        }
    }

    /** An sm90 entry's tile_rows; a manifest without one is from a build whose tiles were all 128 rows. */
    private static int sm90TileRows(Kernel kernel) {
        return kernel.tileRows() > 0 ? kernel.tileRows() : 128;
    }

    /**
     * The tensor maps an sm90 entry loads its inputs through (ABI.md §2, §3): flash's Q, K, V views; Sage's q8
     * ([B·Hq, NqP, D] bytes, boxes of the entry's tileRows rows), k8 ([B·Hkv, NkP, D], 128-row boxes) and its V: the
     * e4m3 vt8 ([B·Hkv, D, NkP], D rows of 128 tokens) or the fp16 view (as flash's).
     */
    private static KernelParams.InputMaps inputMaps(Prepared p, int tileRows) {
        if (p.variant == Variant.FLASH_FP16) {
            return new KernelParams.InputMaps(TensorMaps.panels16("q", p.q), TensorMaps.panels16("k", p.k),
                    TensorMaps.panels16("v", p.v));
        }
        int d = p.headDim;
        long nqPadded = cdiv(p.qLen, 128) * 128L;
        long nkPadded = cdiv(p.kvLen, 64) * 64L;
        byte[] q8 = TensorMaps.rows8("q8", p.q8, d, nqPadded, (long) p.batch * p.qHeads, d, tileRows);
        byte[] k8 = TensorMaps.rows8("k8", p.k8, d, nkPadded, (long) p.batch * p.kvHeads, d, 128);
        byte[] v = p.variant == Variant.SAGE_INT8_FP8
                ? TensorMaps.rows8("vt8", p.vFp8, nkPadded, d, (long) p.batch * p.kvHeads, 128, d)
                : TensorMaps.panels16("v", p.v);
        return new KernelParams.InputMaps(q8, k8, v);
    }

    private DeviceTensor toFp16(KernelModule kernels, DeviceTensor src, DeviceBuffer target, CudaStream stream) {
        int n = src.tokens();
        int d = src.headDim();
        kernels.kernel("pre_to_f16_" + suffix(src.dtype())).launch(cdiv((long) n * d, 2048), src.heads(),
                src.batch(), stream, KernelParams.toFp16(src, target));
        return new DeviceTensor(target, DType.FP16, Layout.HND, src.batch(), src.heads(), n, d);
    }

    private void validateInputs(DeviceTensor q, DeviceTensor k, DeviceTensor v, double softmaxScale) {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        String problem = q.dtype() != k.dtype() || q.dtype() != v.dtype() ? "share one dtype"
                : k.batch() != q.batch() || v.batch() != q.batch() ? "share one batch size"
                : k.headDim() != q.headDim() || v.headDim() != q.headDim() ? "share one head dimension"
                : k.heads() != v.heads() || k.tokens() != v.tokens() ? "have K's heads and tokens equal V's"
                : null;
        if (problem != null) {
            throw new IllegalArgumentException("q, k and v must " + problem + ": " + q.describe() + ", "
                    + k.describe() + ", " + v.describe());
        }
        if (!(softmaxScale > 0) || Double.isInfinite(softmaxScale)) {
            throw new IllegalArgumentException("softmax scale must be a positive finite number, got " + softmaxScale);
        }
        AttentionShape shape = new AttentionShape(q.batch(), q.heads(), k.heads(), q.tokens(), k.tokens(),
                q.headDim(), q.dtype(), q.layout(), false);
        requireSupported(shape);
        requireAligned(q, "q");
        requireAligned(k, "k");
        requireAligned(v, "v");
    }

    /** The kernels read rows with 16-byte vector loads. */
    private static void requireAligned(DeviceTensor t, String label) {
        if (t.buffer().address() % 16 != 0) {
            throw new IllegalArgumentException(label + " must start at a 16-byte aligned device address, got 0x"
                    + Long.toHexString(t.buffer().address()));
        }
    }

    private static long bytes16(DeviceTensor t) {
        return t.elementCount() * 2;
    }

    static int cdiv(long a, long b) {
        return Math.toIntExact((a + b - 1) / b);
    }

    static String suffix(DType dtype) {
        return switch (dtype) {
            case FP32 -> "f32";
            case FP16 -> "f16";
            case BF16 -> "bf16";
        };
    }

    static int outDTypeCode(DType dtype) {
        return switch (dtype) {
            case FP32 -> 0;
            case FP16 -> 1;
            case BF16 -> 2;
        };
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("GPU backend " + name() + " is closed");
        }
    }

    /** Frees this backend's workspace and stream; the context stays open. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        workspace.close();
        if (hostStream != null) {
            hostStream.close();
        }
        LOG.log(System.Logger.Level.DEBUG, () -> String.format(Locale.ROOT, "closed GPU backend %s", name()));
    }
}
