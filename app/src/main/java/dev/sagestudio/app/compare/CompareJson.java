package dev.sagestudio.app.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@link CompareNumbers} as JSON and back. Non-finite numbers are written as the strings "Infinity" (PSNR of
 * identical outputs) and "NaN" (not measured), which Jackson reads back as the same values.
 */
public final class CompareJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CompareJson() {
    }

    public static String write(CompareNumbers numbers) {
        try {
            return MAPPER.writeValueAsString(numbers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the comparison as JSON", e);
        }
    }

    public static CompareNumbers read(String json) throws IOException {
        return MAPPER.readValue(json, CompareNumbers.class);
    }
}
