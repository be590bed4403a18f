package dev.sagestudio.app.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Labels that show only what tells items apart. */
public final class Labels {

    private static final String SEPARATORS = "/._:-' \"";

    private Labels() {
    }

    /**
     * {@code labels} without the prefix and the suffix they all share, each cut at a separator ({@value #SEPARATORS})
     * so no word is split; unchanged when fewer than two labels, and a label that would be left empty is kept whole.
     * E.g. {@code Attention node 'sdpa'} and {@code Attention node 'sdpa_1'} become {@code sdpa} and {@code sdpa_1}.
     */
    public static List<String> withoutCommonPrefix(List<String> labels) {
        if (labels.size() < 2) {
            return List.copyOf(labels);
        }
        String first = labels.get(0);
        int prefix = first.length();
        int suffix = first.length();
        for (String label : labels) {
            int i = 0;
            while (i < prefix && i < label.length() && label.charAt(i) == first.charAt(i)) {
                i++;
            }
            prefix = i;
            int j = 0;
            while (j < suffix && j < label.length()
                    && label.charAt(label.length() - 1 - j) == first.charAt(first.length() - 1 - j)) {
                j++;
            }
            suffix = j;
        }
        // The shared prefix must end with a separator and the shared suffix start with one.
        while (prefix > 0 && SEPARATORS.indexOf(first.charAt(prefix - 1)) < 0) {
            prefix--;
        }
        while (suffix > 0 && SEPARATORS.indexOf(first.charAt(first.length() - suffix)) < 0) {
            suffix--;
        }
        List<String> out = new ArrayList<>(labels.size());
        for (String label : labels) {
            int end = label.length() - suffix;
            out.add(end > prefix ? label.substring(prefix, end) : label);
        }
        return out;
    }

    /**
     * Splits each item's settings into what all share and what differs: the shared settings (in the first item's
     * order) and, per item, a label of only the differing settings ("name value", joined by ", ").
     */
    public record Distinct(Map<String, String> shared, List<String> labels) {
    }

    /** See {@link Distinct}; every map must have the same keys (in the same order). */
    public static Distinct distinct(List<Map<String, String>> items) {
        Map<String, String> shared = new LinkedHashMap<>();
        List<String> differing = new ArrayList<>();
        if (!items.isEmpty()) {
            for (Map.Entry<String, String> e : items.get(0).entrySet()) {
                boolean same = items.stream().allMatch(m -> e.getValue().equals(m.get(e.getKey())));
                if (same) {
                    shared.put(e.getKey(), e.getValue());
                } else {
                    differing.add(e.getKey());
                }
            }
        }
        List<String> labels = new ArrayList<>(items.size());
        for (Map<String, String> m : items) {
            List<String> parts = new ArrayList<>();
            for (String key : differing) {
                parts.add(key.isEmpty() ? m.get(key) : key + " " + m.get(key));
            }
            labels.add(String.join(", ", parts));
        }
        return new Distinct(shared, List.copyOf(labels));
    }
}
