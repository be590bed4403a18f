package dev.sagestudio.models.bundle;

import java.util.List;

/** A bundle that cannot be used; the message names every problem found, each with the field or file concerned. */
public final class BundleException extends Exception {

    private final List<String> problems;

    public BundleException(String bundle, List<String> problems) {
        super("invalid model bundle " + bundle + ":\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public BundleException(String bundle, String problem) {
        this(bundle, List.of(problem));
    }

    /** One line per problem, without the bundle name. */
    public List<String> problems() {
        return problems;
    }
}
