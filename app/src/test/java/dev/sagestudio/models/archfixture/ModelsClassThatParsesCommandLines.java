package dev.sagestudio.models.archfixture;

import picocli.CommandLine;

/** Test fixture, deliberately wrong: a models class that uses the command-line parser. */
public final class ModelsClassThatParsesCommandLines {
    private ModelsClassThatParsesCommandLines() {}

    public static CommandLine parser(Object command) {
        return new CommandLine(command);
    }
}
