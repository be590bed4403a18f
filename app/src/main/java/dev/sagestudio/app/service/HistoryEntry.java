package dev.sagestudio.app.service;

import java.util.Map;

/**
 * One saved result in the output folder.
 *
 * @param file the file's name inside the output folder (.png for images, .gif for clips)
 * @param video whether it is a clip
 * @param created when it was made (ISO-8601 instant)
 * @param parameters the settings that made it (the keys {@code GenerationResult.parameters()} writes)
 */
public record HistoryEntry(String file, boolean video, String created, Map<String, String> parameters) {

    public HistoryEntry {
        parameters = Map.copyOf(parameters);
    }

    public String prompt() {
        return parameters.getOrDefault("prompt", "");
    }
}
