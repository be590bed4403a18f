package dev.sagestudio.app.cli;

import dev.sagestudio.attention.catalog.BackendCatalog;
import java.util.ListResourceBundle;

/**
 * The backend lists the command help shows, derived from the {@link BackendCatalog} when the command line is built
 * (annotation texts must be constants, so they name these keys as {@code ${bundle:KEY}}).
 */
public final class BackendNames extends ListResourceBundle {
    /** The CPU choices in a few words. */
    static final String CPU = "backends.cpu";
    /** Our own CPU backends (no ONNX Runtime attention) in a few words. */
    static final String SUBSTITUTES = "backends.substitutes";
    /** The GPU backend names, comma-separated. */
    static final String GPU = "backends.gpu";

    @Override
    protected Object[][] getContents() {
        BackendCatalog catalog = BackendCatalog.standard();
        return new Object[][] {{CPU, catalog.cpuNamesSummary()}, {SUBSTITUTES, catalog.substituteCpuNamesSummary()},
            {GPU, catalog.gpuNames()}};
    }
}
