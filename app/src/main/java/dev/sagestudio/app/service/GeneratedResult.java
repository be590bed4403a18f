package dev.sagestudio.app.service;

import java.util.Map;

/**
 * A finished generation.
 *
 * @param spec what was asked for
 * @param modelName the model's name
 * @param video whether it is a clip
 * @param frames the pixels
 * @param report what ran
 * @param parameters the settings that made it, as saved with the file (PNG text chunks)
 */
public record GeneratedResult(GenerationSpec spec, String modelName, boolean video, Frames frames, RunReport report,
                              Map<String, String> parameters) {

    public GeneratedResult {
        parameters = Map.copyOf(parameters);
    }
}
