package dev.sagestudio.models.scheduler;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Enums spelled in lower case in model.json and on command lines ({@code EULER_ANCESTRAL} is {@code euler_ancestral}). */
public interface JsonName {

    /** The spelling used in model.json. */
    default String jsonName() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT);
    }

    /** The constant of {@code type} spelled {@code name}; a clear message naming the accepted ones otherwise. */
    static <E extends JsonName> E parse(Class<E> type, String name) {
        for (E e : type.getEnumConstants()) {
            if (e.jsonName().equals(name)) {
                return e;
            }
        }
        String accepted = Arrays.stream(type.getEnumConstants()).map(JsonName::jsonName)
                .collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unknown value '" + name + "'; expected one of: " + accepted);
    }
}
