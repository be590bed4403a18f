package dev.sagestudio.attention.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchRecordTest {

    @Test
    void topsCountsFourBHN2DOperationsHalvedWhenCausal() {
        // B=4 H=32 N=4096 D=128: 4·4·32·4096²·128 = 1.099511627776e12 operations; in 10 ms that is 109.95 TOPS.
        assertEquals(109.9511627776, BenchRecord.tops(4, 32, 4096, 128, false, 10.0), 1e-9);
        assertEquals(109.9511627776 / 2, BenchRecord.tops(4, 32, 4096, 128, true, 10.0), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> BenchRecord.tops(1, 1, 1, 64, false, 0));
    }

    @Test
    void recordsSerializeWithTheFieldNamesTheMergeScriptReads() throws Exception {
        BenchRecord record = new BenchRecord("NVIDIA H100", "2026-11-25", "sage-int8-fp16", 4, 32, 128, 8192, true,
                false, 420.5, 12.25, 20, "fp16", "sage_int8_fp16_sm90_d128");
        JsonNode json = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(List.of(record))).get(0);
        for (String field : List.of("gpu", "date", "backend", "batch", "heads", "head_dim", "seq_len", "causal",
                "includes_quant", "tops", "median_ms")) {
            assertTrue(json.has(field), "missing " + field + " in " + json);
        }
        assertEquals(8192, json.get("seq_len").asInt());
        assertTrue(json.get("causal").asBoolean());
        assertEquals(false, json.get("includes_quant").asBoolean());
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertEquals(2.5, Timings.median(new double[] {4, 1, 3, 2}));
        assertEquals(3.0, Timings.median(new double[] {5, 3, 1}));
        assertThrows(IllegalArgumentException.class, () -> Timings.median(new double[0]));
    }

    @Test
    void unknownDtypesAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuBenchmark.parseDType("int8"));
        assertTrue(e.getMessage().contains("int8"));
    }
}
