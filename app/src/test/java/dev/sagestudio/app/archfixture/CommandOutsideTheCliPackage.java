package dev.sagestudio.app.archfixture;

import picocli.CommandLine.Command;

/** Test fixture, deliberately wrong: a command outside dev.sagestudio.app.cli. */
@Command(name = "stray")
public final class CommandOutsideTheCliPackage implements Runnable {
    @Override
    public void run() {
    }
}
