package dev.sagestudio.attention.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels' launch parameters: every entry takes ONE struct of its kernel family by value
 * ({@code attention/src/main/cuda/params.cuh}), and this class is the one place in Java that packs
 * them. Each struct is declared here field by field in the C declaration order; offsets follow the
 * C rules for natural alignment (x86-64 / CUDA: pointers and {@code long long} 8 bytes, {@code int}
 * and {@code float} 4). The build manifest records the layout the compiler actually gave each struct
 * ({@code structs}, written by {@code abi_manifest.cpp}); {@link #layoutMismatches} compares the two,
 * {@link KernelModule} refuses to load kernels whose layout differs, and a unit test checks the
 * bundled manifest. A field left unset is an error, never a silent zero.
 */
public final class KernelParams {
    private KernelParams() {}

    /**
     * C types used in the parameter structs, with their size and alignment: scalars (size = alignment) and
     * {@code tmap}, params.cuh's {@code TensorMap} (the 128 opaque bytes of a CUtensorMap, 64-byte aligned).
     */
    enum Type {
        PTR(8, 8), I32(4, 4), I64(8, 8), F32(4, 4), TMAP(TensorMaps.BYTES, 64);

        final int size;
        final int align;

        Type(int size, int align) {
            this.size = size;
            this.align = align;
        }

        String manifestName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One field of a struct at its C offset. */
    record Field(String name, Type type, int offset) {}

    /** A parameter struct: its fields in declaration order, offsets and size by C layout rules. */
    public static final class Layout {
        private final String name;
        private final Map<String, Field> fields = new LinkedHashMap<>();
        private final int size;

        private Layout(String name, Object... declaration) {
            this.name = name;
            int offset = 0;
            int align = 1;
            for (int i = 0; i < declaration.length; i += 2) {
                Type type = (Type) declaration[i];
                String field = (String) declaration[i + 1];
                offset = roundUp(offset, type.align);
                align = Math.max(align, type.align);
                fields.put(field, new Field(field, type, offset));
                offset += type.size;
            }
            this.size = roundUp(offset, align);
        }

        /** The C struct's name, as the manifest's {@code structs} and each entry's {@code params} spell it. */
        public String name() {
            return name;
        }

        /** sizeof in bytes. */
        public int size() {
            return size;
        }

        List<Field> fields() {
            return List.copyOf(fields.values());
        }

        Packed pack() {
            return new Packed(this);
        }
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    /** {@code pre_to_f16_*}: one tensor view in, its fp16 copy out (ABI.md §1). */
    static final Layout PRE = new Layout("PreParams",
            Type.PTR, "in", Type.PTR, "in_aux", Type.PTR, "out", Type.PTR, "out_scale",
            Type.I32, "B", Type.I32, "H", Type.I32, "N", Type.I32, "D",
            Type.I64, "sb", Type.I64, "sh", Type.I64, "sn",
            Type.F32, "mul", Type.I32, "rows_per_scale");

    /** {@code pre_sage_stats_*} and {@code pre_sage_quant_*}: the Sage preprocessing in two launches (ABI.md §1). */
    static final Layout SAGE_PREP = new Layout("SagePrepParams",
            Type.PTR, "q", Type.PTR, "k", Type.PTR, "v", Type.PTR, "q8", Type.PTR, "qs", Type.PTR, "k8", Type.PTR, "ks",
            Type.PTR, "km", Type.PTR, "vt8", Type.PTR, "vs", Type.PTR, "partials",
            Type.I32, "B", Type.I32, "Hq", Type.I32, "Hkv", Type.I32, "Nq", Type.I32, "Nk", Type.I32, "D",
            Type.I64, "q_sb", Type.I64, "q_sh", Type.I64, "q_sn", Type.I64, "k_sb", Type.I64, "k_sh", Type.I64, "k_sn",
            Type.I64, "v_sb", Type.I64, "v_sh", Type.I64, "v_sn",
            Type.F32, "mul", Type.I32, "rows_per_scale", Type.I32, "splits");

    /** {@code flash_fwd_*}. */
    static final Layout FLASH = new Layout("FlashParams",
            Type.PTR, "q", Type.PTR, "k", Type.PTR, "v", Type.PTR, "o",
            Type.I32, "B", Type.I32, "Hq", Type.I32, "Hkv", Type.I32, "Nq", Type.I32, "Nk",
            Type.I64, "q_sb", Type.I64, "q_sh", Type.I64, "q_sn", Type.I64, "k_sb", Type.I64, "k_sh", Type.I64, "k_sn",
            Type.I64, "v_sb", Type.I64, "v_sh", Type.I64, "v_sn", Type.I64, "o_sb", Type.I64, "o_sh", Type.I64, "o_sn",
            Type.F32, "softmax_scale", Type.I32, "causal", Type.I32, "out_dtype",
            Type.TMAP, "tq", Type.TMAP, "tk", Type.TMAP, "tv");

    /** {@code sage_int8_*} (mma.sync and wgmma entries alike). */
    static final Layout SAGE = new Layout("SageParams",
            Type.PTR, "q8", Type.PTR, "qs", Type.PTR, "k8", Type.PTR, "ks", Type.PTR, "v", Type.PTR, "vs", Type.PTR, "o",
            Type.I32, "B", Type.I32, "Hq", Type.I32, "Hkv", Type.I32, "Nq", Type.I32, "Nk",
            Type.I64, "v_sb", Type.I64, "v_sh", Type.I64, "v_sn", Type.I64, "o_sb", Type.I64, "o_sh", Type.I64, "o_sn",
            Type.I32, "causal", Type.I32, "out_dtype", Type.TMAP, "tq", Type.TMAP, "tk", Type.TMAP, "tv");

    /** {@code check_finite_*}: NaN/Inf count and first index of {@code n} contiguous elements into one slot. */
    static final Layout FINITE_CHECK = new Layout("FiniteCheckParams",
            Type.PTR, "x", Type.PTR, "result", Type.I64, "n");

    static final List<Layout> LAYOUTS = List.of(PRE, SAGE_PREP, FLASH, SAGE, FINITE_CHECK);

    /** The bytes of one struct being filled; {@link #bytes()} refuses while a field is unset. */
    static final class Packed {
        private final Layout layout;
        private final ByteBuffer buffer;
        private final boolean[] set;
        private final List<String> names;

        private Packed(Layout layout) {
            this.layout = layout;
            this.buffer = ByteBuffer.allocate(layout.size).order(ByteOrder.LITTLE_ENDIAN);
            this.names = new ArrayList<>(layout.fields.keySet());
            this.set = new boolean[names.size()];
        }

        Layout layout() {
            return layout;
        }

        private Field field(String name, Type type) {
            Field f = layout.fields.get(name);
            if (f == null || f.type() != type) {
                throw new IllegalArgumentException(layout.name + " has no " + type.manifestName() + " field '" + name
                        + "'");
            }
            set[names.indexOf(name)] = true;
            return f;
        }

        Packed ptr(String name, DeviceBuffer buffer) {
            return address(name, buffer == null ? 0L : buffer.address());
        }

        Packed address(String name, long address) {
            buffer.putLong(field(name, Type.PTR).offset(), address);
            return this;
        }

        Packed i32(String name, int value) {
            buffer.putInt(field(name, Type.I32).offset(), value);
            return this;
        }

        Packed i64(String name, long value) {
            buffer.putLong(field(name, Type.I64).offset(), value);
            return this;
        }

        Packed f32(String name, float value) {
            buffer.putFloat(field(name, Type.F32).offset(), value);
            return this;
        }

        /** A tensor map field: the 128 bytes {@link TensorMaps} encoded. */
        Packed tensorMap(String name, byte[] map) {
            if (map.length != TensorMaps.BYTES) {
                throw new IllegalArgumentException("a tensor map has " + TensorMaps.BYTES + " bytes, not " + map.length);
            }
            buffer.put(field(name, Type.TMAP).offset(), map);
            return this;
        }

        /** A tensor map field of an entry that does not read it (the mma.sync entries): zeros. */
        Packed noTensorMap(String name) {
            return tensorMap(name, new byte[TensorMaps.BYTES]);
        }

        /** The struct's bytes (little-endian, padding zero). */
        byte[] bytes() {
            for (int i = 0; i < set.length; i++) {
                if (!set[i]) {
                    throw new IllegalStateException(layout.name + "." + names.get(i) + " was not set");
                }
            }
            return buffer.array().clone();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(layout.name).append('{');
            for (Field f : layout.fields.values()) {
                if (sb.charAt(sb.length() - 1) != '{') {
                    sb.append(", ");
                }
                sb.append(f.name()).append('=');
                switch (f.type()) {
                    case PTR -> sb.append("0x").append(Long.toHexString(buffer.getLong(f.offset())));
                    case I32 -> sb.append(buffer.getInt(f.offset()));
                    case I64 -> sb.append(buffer.getLong(f.offset()));
                    case F32 -> sb.append(buffer.getFloat(f.offset()));
                    case TMAP -> sb.append(buffer.getLong(f.offset()) == 0 && buffer.getLong(f.offset() + 8) == 0
                            ? "(none)" : "(tensor map)");
                }
            }
            return sb.append('}').toString();
        }
    }

    // ------------------------------------------------------------------ the kernel families

    /** {@code PreParams} for {@code pre_to_f16_*}: the view {@code in} to fp16 HND at {@code out}. */
    static Packed toFp16(DeviceTensor in, DeviceBuffer out) {
        return PRE.pack().ptr("in", in.buffer()).ptr("in_aux", null).ptr("out", out).ptr("out_scale", null)
                .i32("B", in.batch()).i32("H", in.heads()).i32("N", in.tokens()).i32("D", in.headDim())
                .i64("sb", in.batchStride()).i64("sh", in.headStride()).i64("sn", in.tokenStride())
                .f32("mul", 1f).i32("rows_per_scale", 0);
    }

    /** Outputs and workspace of the Sage preprocessing; {@code kMean} null = no smoothing, {@code vt8} null = V left alone. */
    record SagePrepOutputs(DeviceBuffer q8, DeviceBuffer qScale, DeviceBuffer k8, DeviceBuffer kScale,
                           DeviceBuffer kMean, DeviceBuffer vt8, DeviceBuffer vScale, DeviceBuffer partials,
                           int splits) {}

    /** {@code SagePrepParams}: q, k, v in the entry's dtype; {@code mul} = softmax_scale·log2(e) as a float. */
    static Packed sagePrep(DeviceTensor q, DeviceTensor k, DeviceTensor v, SagePrepOutputs out, float mul,
                           int rowsPerScale) {
        Packed p = SAGE_PREP.pack().ptr("q", q.buffer()).ptr("k", k.buffer()).ptr("v", v.buffer())
                .ptr("q8", out.q8()).ptr("qs", out.qScale()).ptr("k8", out.k8()).ptr("ks", out.kScale())
                .ptr("km", out.kMean()).ptr("vt8", out.vt8()).ptr("vs", out.vScale()).ptr("partials", out.partials())
                .i32("B", q.batch()).i32("Hq", q.heads()).i32("Hkv", k.heads()).i32("Nq", q.tokens())
                .i32("Nk", k.tokens()).i32("D", q.headDim());
        strides(p, "q", q);
        strides(p, "k", k);
        strides(p, "v", v);
        return p.f32("mul", mul).i32("rows_per_scale", rowsPerScale).i32("splits", out.splits());
    }

    /** The tensor maps of a launch's Q, K and V for the copy engine ({@link TensorMaps}). */
    record InputMaps(byte[] q, byte[] k, byte[] v) {}

    /**
     * {@code FlashParams}: q, k, v in the entry's dtype; o in {@code outDtype} (ABI.md codes); {@code maps} of q, k
     * and v for the sm90 entries, which load through them, null for the mma.sync ones (zeros).
     */
    static Packed flash(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor o, float softmaxScale,
                        boolean causal, int outDtype, InputMaps maps) {
        Packed p = FLASH.pack().ptr("q", q.buffer()).ptr("k", k.buffer()).ptr("v", v.buffer()).ptr("o", o.buffer())
                .i32("B", q.batch()).i32("Hq", q.heads()).i32("Hkv", k.heads()).i32("Nq", q.tokens())
                .i32("Nk", k.tokens());
        strides(p, "q", q);
        strides(p, "k", k);
        strides(p, "v", v);
        strides(p, "o", o);
        inputMaps(p, maps);
        return p.f32("softmax_scale", softmaxScale).i32("causal", causal ? 1 : 0).i32("out_dtype", outDtype);
    }

    private static void inputMaps(Packed p, InputMaps maps) {
        if (maps == null) {
            p.noTensorMap("tq").noTensorMap("tk").noTensorMap("tv");
        } else {
            p.tensorMap("tq", maps.q()).tensorMap("tk", maps.k()).tensorMap("tv", maps.v());
        }
    }

    /**
     * {@code SageParams}. {@code v16} is the fp16 V (strided) for the fp16 entries, null for the fp8
     * ones, which read {@code vt8} and {@code vScale} in their own packed layout (strides passed as 0).
     * {@code maps}: q8, k8 and the V the entry reads, for the sm90 entries; null for the mma.sync ones (zeros).
     */
    static Packed sage(DeviceBuffer q8, DeviceBuffer qScale, DeviceBuffer k8, DeviceBuffer kScale, DeviceTensor v16,
                       DeviceBuffer vt8, DeviceBuffer vScale, DeviceTensor o, int batch, int qHeads, int kvHeads,
                       int qLen, int kvLen, boolean causal, int outDtype, InputMaps maps) {
        Packed p = SAGE.pack().ptr("q8", q8).ptr("qs", qScale).ptr("k8", k8).ptr("ks", kScale)
                .ptr("v", v16 != null ? v16.buffer() : vt8).ptr("vs", vScale).ptr("o", o.buffer())
                .i32("B", batch).i32("Hq", qHeads).i32("Hkv", kvHeads).i32("Nq", qLen).i32("Nk", kvLen);
        if (v16 != null) {
            strides(p, "v", v16);
        } else {
            p.i64("v_sb", 0).i64("v_sh", 0).i64("v_sn", 0);
        }
        strides(p, "o", o);
        inputMaps(p, maps);
        return p.i32("causal", causal ? 1 : 0).i32("out_dtype", outDtype);
    }

    /** {@code FiniteCheckParams}: {@code elements} values at device address {@code x}, result slot at {@code slot}. */
    static Packed finiteCheck(long x, long slot, long elements) {
        return FINITE_CHECK.pack().address("x", x).address("result", slot).i64("n", elements);
    }

    private static void strides(Packed p, String tensor, DeviceTensor t) {
        p.i64(tensor + "_sb", t.batchStride()).i64(tensor + "_sh", t.headStride()).i64(tensor + "_sn", t.tokenStride());
    }

    // ------------------------------------------------------------------ check against the compiler

    /**
     * Where the layouts declared here differ from the manifest's {@code structs} (what the compiler
     * reported): a missing struct, a different size, or a field with another name, type, offset or
     * size, in order. Empty when they agree.
     */
    static List<String> layoutMismatches(String manifestJson) {
        JsonNode structs;
        try {
            structs = new ObjectMapper().readTree(manifestJson).path("structs");
        } catch (IOException e) {
            return List.of("the kernel manifest is not valid JSON: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        for (Layout layout : LAYOUTS) {
            JsonNode s = structs.path(layout.name);
            if (s.isMissingNode()) {
                problems.add("the manifest describes no struct " + layout.name);
                continue;
            }
            if (s.path("size").asInt(-1) != layout.size) {
                problems.add(layout.name + ": sizeof " + s.path("size").asInt(-1) + " in the manifest, " + layout.size
                        + " here");
            }
            List<Field> ours = layout.fields();
            JsonNode theirs = s.path("fields");
            for (int i = 0; i < Math.max(ours.size(), theirs.size()); i++) {
                String here = i < ours.size() ? describe(ours.get(i)) : "nothing";
                JsonNode f = theirs.path(i);
                String there = f.isMissingNode() ? "nothing" : f.path("name").asText() + " "
                        + f.path("type").asText() + " @" + f.path("offset").asInt() + " (" + f.path("size").asInt()
                        + " B)";
                if (!here.equals(there)) {
                    problems.add(layout.name + " field " + i + ": " + there + " in the manifest, " + here + " here");
                }
            }
        }
        return problems;
    }

    private static String describe(Field f) {
        return f.name() + " " + f.type().manifestName() + " @" + f.offset() + " (" + f.type().size + " B)";
    }
}
