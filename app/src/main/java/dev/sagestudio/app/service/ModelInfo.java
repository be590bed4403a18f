package dev.sagestudio.app.service;

import java.nio.file.Path;
import java.util.List;

/**
 * A model the app can generate with: a bundled one or a folder the user added.
 *
 * @param name the bundle's name (model.json {@code name})
 * @param displayName what the picker shows
 * @param folder the bundle folder
 * @param video whether it makes clips rather than images
 * @param frames frames per clip (1 for images); fixed by the model
 * @param width output width in pixels; fixed by the model
 * @param height output height in pixels; fixed by the model
 * @param fps frames per second of a clip (0 for images)
 * @param defaultSteps the model's default step count
 * @param defaultGuidance the model's default guidance scale
 * @param defaultSampler the model's sampler
 * @param samplers the samplers this model can be sampled with
 * @param bundled whether it ships with SageStudio
 */
public record ModelInfo(String name, String displayName, Path folder, boolean video, int frames, int width, int height,
                        int fps, int defaultSteps, double defaultGuidance, String defaultSampler, List<String> samplers,
                        boolean bundled) {

    public ModelInfo {
        samplers = List.copyOf(samplers);
    }

    /** "image, 64×64" or "video, 16 frames 64×64 at 8 fps". */
    public String shapeText() {
        return video ? "video, " + frames + " frames " + width + "×" + height + " at " + fps + " fps"
                : "image, " + width + "×" + height;
    }
}
