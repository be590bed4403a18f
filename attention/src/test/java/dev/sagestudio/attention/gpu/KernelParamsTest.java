package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Java packing of the kernels' parameter structs against the layout the compiler reported into
 * this build's manifest (abi_manifest.cpp, built with the kernels). Needs no GPU; skipped only
 * when the build has no kernels (no nvcc), which GpuArgumentsTest reports separately.
 */
class KernelParamsTest {

    private static String bundledManifest() {
        var manifest = KernelModule.bundledManifest();
        assumeTrue(manifest.isPresent(), "this build has no kernels (no nvcc), so no manifest to check against");
        return manifest.get();
    }

    @Test
    void javaPackingMatchesTheStructLayoutTheCompilerReported() {
        assertEquals(List.of(), KernelParams.layoutMismatches(bundledManifest()));
    }

    @Test
    void everyKernelInTheManifestTakesAStructJavaCanPack() throws Exception {
        JsonNode entries = new ObjectMapper().readTree(bundledManifest()).path("entries");
        Set<String> packable = new HashSet<>();
        KernelParams.LAYOUTS.forEach(l -> packable.add(l.name()));
        assertTrue(entries.size() > 0);
        for (JsonNode entry : entries) {
            assertTrue(packable.contains(entry.path("params").asText()), entry.toString());
            assertTrue(entry.path("block").asInt() > 0, entry.toString());
        }
    }

    @Test
    void aLayoutThatDiffersFromTheCompilersIsReported() {
        // SageParams as the compiler would lay it out with causal and out_dtype swapped, and one
        // struct missing altogether: both are named, field by field.
        String manifest = """
                {"structs": {
                  "PreParams": %s,
                  "SageParams": {"size": 136, "align": 8, "fields": [
                    {"name": "q8", "type": "ptr", "offset": 0, "size": 8}]}}}
                """.formatted(layoutJson(KernelParams.PRE));
        List<String> problems = KernelParams.layoutMismatches(manifest);
        assertTrue(problems.contains("the manifest describes no struct FlashParams"), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("SageParams field 1: nothing in the manifest, qs ptr @8")),
                problems.toString());
        assertTrue(problems.stream().noneMatch(p -> p.startsWith("PreParams")), problems.toString());
    }

    @Test
    void offsetsFollowCAlignmentRules() {
        // 5 ints after 7 pointers end at 76: the first long long is padded to 80.
        assertEquals(80, offsetOf(KernelParams.SAGE, "v_sb"));
        assertEquals(192, offsetOf(KernelParams.SAGE, "tq"));  // the scalars end at 136
        assertEquals(576, KernelParams.SAGE.size());
        assertEquals(56, offsetOf(KernelParams.FLASH, "q_sb"));
        // The scalars end at 164; tensor maps are 64-byte aligned: tq at 192, tk 320, tv 448, sizeof 576.
        assertEquals(192, offsetOf(KernelParams.FLASH, "tq"));
        assertEquals(448, offsetOf(KernelParams.FLASH, "tv"));
        assertEquals(576, KernelParams.FLASH.size());
        assertEquals(80, KernelParams.PRE.size());
        // 11 pointers and 6 ints end at 112, already 8-aligned for q_sb; mul, rows_per_scale, splits pad to 200.
        assertEquals(112, offsetOf(KernelParams.SAGE_PREP, "q_sb"));
        assertEquals(200, KernelParams.SAGE_PREP.size());
        assertEquals(16, offsetOf(KernelParams.FINITE_CHECK, "n"));
        assertEquals(24, KernelParams.FINITE_CHECK.size());
    }

    @Test
    void packedBytesHoldEachValueAtItsOffsetAndRefuseUnsetFields() {
        KernelParams.Packed p = KernelParams.PRE.pack().address("in", 0x1000).address("in_aux", 0).address("out", 0x2000)
                .address("out_scale", 0x3000).i32("B", 2).i32("H", 3).i32("N", 5).i32("D", 64).i64("sb", 960)
                .i64("sh", 320).i64("sn", 64).f32("mul", 0.5f);
        IllegalStateException unset = assertThrows(IllegalStateException.class, p::bytes);
        assertEquals("PreParams.rows_per_scale was not set", unset.getMessage());
        ByteBuffer b = ByteBuffer.wrap(p.i32("rows_per_scale", 32).bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x2000, b.getLong(16));
        assertEquals(64, b.getInt(44));
        assertEquals(320, b.getLong(56));
        assertEquals(0.5f, b.getFloat(72));
        assertEquals(32, b.getInt(76));
        assertThrows(IllegalArgumentException.class, () -> KernelParams.PRE.pack().i64("B", 1));
        assertThrows(IllegalArgumentException.class, () -> KernelParams.PRE.pack().i32("nope", 1));
    }

    @Test
    void thePreprocessingSplitsEachHeadsKeysIntoRangesOfAbout1024UpToEight() {
        // the same rule as attention/bench/sskernels.py's stat_splits: both give the same K mean bits
        assertEquals(1, GpuAttentionBackend.statSplits(1));
        assertEquals(1, GpuAttentionBackend.statSplits(1024));
        assertEquals(2, GpuAttentionBackend.statSplits(1025));
        assertEquals(4, GpuAttentionBackend.statSplits(4096));
        assertEquals(8, GpuAttentionBackend.statSplits(8192));
        assertEquals(8, GpuAttentionBackend.statSplits(32768));
    }

    private static int offsetOf(KernelParams.Layout layout, String field) {
        return layout.fields().stream().filter(f -> f.name().equals(field)).findFirst().orElseThrow().offset();
    }

    private static String layoutJson(KernelParams.Layout layout) {
        StringBuilder sb = new StringBuilder("{\"size\": " + layout.size() + ", \"fields\": [");
        for (KernelParams.Field f : layout.fields()) {
            sb.append(sb.charAt(sb.length() - 1) == '[' ? "" : ", ").append("{\"name\": \"").append(f.name())
                    .append("\", \"type\": \"").append(f.type().manifestName()).append("\", \"offset\": ")
                    .append(f.offset()).append(", \"size\": ").append(f.type().size).append('}');
        }
        return sb.append("]}").toString();
    }
}
