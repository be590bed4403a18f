package dev.sagestudio.app.ui;

/** How the next run's seed is chosen. */
public enum SeedMode {
    RANDOM("Random"), FIXED("Fixed"), REUSE_LAST("Re-use last");

    private final String label;

    SeedMode(String label) {
        this.label = label;
    }

    @Override
    public String toString() {
        return label;
    }
}
