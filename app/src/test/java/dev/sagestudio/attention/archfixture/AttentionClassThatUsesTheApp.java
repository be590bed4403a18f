package dev.sagestudio.attention.archfixture;

import dev.sagestudio.app.cli.SageStudioCli;

/**
 * Test fixture, deliberately wrong: a class in the attention layer that depends on the app layer.
 * It lives in app's test sources only, so that the architecture test can prove its rule fails.
 */
public final class AttentionClassThatUsesTheApp {
    private AttentionClassThatUsesTheApp() {}

    public static Object app() {
        return SageStudioCli.commandLine();
    }
}
