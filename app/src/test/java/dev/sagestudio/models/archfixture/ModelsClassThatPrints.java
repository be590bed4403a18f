package dev.sagestudio.models.archfixture;

/** Test fixture, deliberately wrong: a models class that writes to the console. */
public final class ModelsClassThatPrints {
    private ModelsClassThatPrints() {}

    public static void report(String text) {
        System.out.println(text);
    }
}
