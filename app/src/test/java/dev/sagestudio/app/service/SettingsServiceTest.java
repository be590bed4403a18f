package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsServiceTest {
    @TempDir
    Path dir;

    @Test
    void settingsSurviveARestart() throws IOException {
        SettingsService service = new SettingsService(dir.resolve("config/settings.json"), dir.resolve("out"));
        assertEquals(Settings.defaults(dir.resolve("out")), service.load().settings(), "defaults before any save");
        Settings changed = new Settings(dir.resolve("elsewhere"), "sage-emoji-t2v", 2, 5, true,
                List.of(dir.resolve("my-model")), List.of("a cat", "a dog"));
        service.save(changed);
        SettingsService.Loaded reloaded = new SettingsService(dir.resolve("config/settings.json"), dir.resolve("out"))
                .load();
        assertEquals(changed, reloaded.settings());
        assertEquals(Optional.empty(), reloaded.message());
    }

    @Test
    void anUnreadableFileGivesTheDefaultsAndSaysSo() throws IOException {
        Path file = dir.resolve("settings.json");
        Files.writeString(file, "{ not json");
        SettingsService.Loaded loaded = new SettingsService(file, dir.resolve("out")).load();
        assertEquals(Settings.defaults(dir.resolve("out")), loaded.settings());
        assertTrue(loaded.message().orElseThrow().contains("could not be read"));
    }

    @Test
    void recentPromptsKeepTheNewestFirstWithoutRepeats() {
        Settings s = Settings.defaults(dir);
        for (int i = 0; i < Settings.RECENT_PROMPTS + 3; i++) {
            s = s.withRecentPrompt("p" + i);
        }
        s = s.withRecentPrompt("p5");
        assertEquals(Settings.RECENT_PROMPTS, s.recentPrompts().size());
        assertEquals(List.of("p5", "p17", "p16"), s.recentPrompts().subList(0, 3));
    }
}
