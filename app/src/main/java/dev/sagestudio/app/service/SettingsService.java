package dev.sagestudio.app.service;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.models.output.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Settings in a JSON file ({@code settings.json} in the user's config folder), written atomically so that a crash
 * mid-write leaves the previous settings.
 */
public final class SettingsService {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;
    private final Path defaultOutput;

    /** Settings kept in {@code file}; {@code defaultOutput} is the output folder until the user picks one. */
    public SettingsService(Path file, Path defaultOutput) {
        this.file = file;
        this.defaultOutput = defaultOutput;
    }

    /** The config folder: {@code $XDG_CONFIG_HOME/sagestudio}, else {@code ~/.config/sagestudio}. */
    public static Path userConfigFolder() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("sagestudio");
    }

    /** The default output folder: {@code ~/Pictures/SageStudio}. */
    public static Path defaultOutputFolder() {
        return Path.of(System.getProperty("user.home"), "Pictures", "SageStudio");
    }

    public Path file() {
        return file;
    }

    /** What is saved, or the defaults; a settings file that cannot be read is reported, not silently replaced. */
    public Loaded load() {
        if (!Files.exists(file)) {
            return new Loaded(Settings.defaults(defaultOutput), Optional.empty());
        }
        try {
            Settings read = JSON.readValue(file.toFile(), Settings.class);
            if (read.outputFolder() == null) {
                read = new Settings(defaultOutput, read.defaultModel(), read.threads(), read.previewEvery(),
                        read.darkTheme(), read.modelFolders(), read.recentPrompts());
            }
            return new Loaded(read, Optional.empty());
        } catch (IOException | RuntimeException e) {
            return new Loaded(Settings.defaults(defaultOutput), Optional.of("The settings file " + file
                    + " could not be read (" + e.getMessage().lines().findFirst().orElse("") + "); the defaults are in"
                    + " use, and saving the settings replaces it."));
        }
    }

    public void save(Settings settings) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(file, tmp -> JSON.writeValue(tmp.toFile(), settings));
    }

    /** Loaded settings, and a message when the file was unreadable. */
    public record Loaded(Settings settings, Optional<String> message) {
    }
}
