package dev.sagestudio.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU backends reproduce, bit for bit, the outputs recorded from their original (unoptimized)
 * implementation: optimizations may reorder work but must not change a single rounding.
 */
class GoldenOutputsTest {

    private static Map<String, String> recorded() throws IOException {
        Map<String, String> digests = new LinkedHashMap<>();
        try (InputStream in = GoldenOutputsTest.class.getResourceAsStream(GoldenCases.RESOURCE)) {
            assertNotNull(in, "missing test resource " + GoldenCases.RESOURCE);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                digests.put(parts[0], parts[1]);
            }
        }
        return digests;
    }

    static Stream<Arguments> cases() {
        return GoldenCases.cases().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputBitsEqualTheRecordedOnes(String name, Supplier<String> digest) throws IOException {
        String expected = recorded().get(name);
        assertNotNull(expected, "no recorded digest for " + name);
        assertEquals(expected, digest.get(), name + ": output bits differ from the recorded ones");
    }

    @Test
    void everyRecordedCaseIsStillChecked() throws IOException {
        assertEquals(recorded().keySet(), GoldenCases.cases().keySet());
    }
}
