package dev.sagestudio.app.service;

import java.nio.file.Path;
import java.util.List;

/**
 * The user's settings.
 *
 * @param outputFolder where results are saved (the history)
 * @param defaultModel the model name the form starts with
 * @param threads ONNX Runtime intra-op threads; 0 for its default
 * @param previewEvery a live preview every this many steps; 0 for none
 * @param darkTheme dark rather than light
 * @param modelFolders model folders the user added
 * @param recentPrompts the latest prompts, newest first
 */
public record Settings(Path outputFolder, String defaultModel, int threads, int previewEvery, boolean darkTheme,
                       List<Path> modelFolders, List<String> recentPrompts) {

    /** How many recent prompts are kept. */
    public static final int RECENT_PROMPTS = 15;

    public Settings {
        modelFolders = List.copyOf(modelFolders);
        recentPrompts = List.copyOf(recentPrompts);
        if (threads < 0 || previewEvery < 0) {
            throw new IllegalArgumentException("threads and preview frequency must not be negative");
        }
    }

    public static Settings defaults(Path outputFolder) {
        return new Settings(outputFolder, "sage-emoji-t2i", 0, 4, false, List.of(), List.of());
    }

    public Settings withRecentPrompt(String prompt) {
        List<String> recent = new java.util.ArrayList<>(recentPrompts);
        recent.remove(prompt);
        recent.add(0, prompt);
        return new Settings(outputFolder, defaultModel, threads, previewEvery, darkTheme, modelFolders,
                recent.subList(0, Math.min(RECENT_PROMPTS, recent.size())));
    }

    public Settings withModelFolder(Path folder) {
        List<Path> folders = new java.util.ArrayList<>(modelFolders);
        if (!folders.contains(folder)) {
            folders.add(folder);
        }
        return new Settings(outputFolder, defaultModel, threads, previewEvery, darkTheme, folders, recentPrompts);
    }
}
