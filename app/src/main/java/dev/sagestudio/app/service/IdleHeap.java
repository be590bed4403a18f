package dev.sagestudio.app.service;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * Gives the Java heap back to the system once the process goes idle. During a burst of generations the G1 collector
 * grows its young generation to keep up with the allocation rate (measured: committed heap 56 → 490-730 MiB, resident
 * memory 175 → 580-810 MiB after 1500 tiny generations) and keeps it committed while nothing allocates: only another
 * collection cycle shrinks it. A periodic G1 cycle every {@link #INTERVAL_MILLIS} ms without other collections does
 * that when the app sits idle (measured: back to ~220 MiB within 4 s with a 1 s interval). See docs/RELIABILITY.md.
 */
public final class IdleHeap {
    /** How long the process must go without a collection before G1 runs a cycle that may shrink the heap. */
    public static final long INTERVAL_MILLIS = 5_000;
    static final String OPTION = "G1PeriodicGCInterval";

    private IdleHeap() {
    }

    /**
     * Sets G1's periodic collection interval for this JVM ({@code G1PeriodicGCInterval} is a manageable option),
     * unless the collector is not G1 or the option was set already (a user's {@code -XX:} wins).
     *
     * @return what was done, for the log; empty when nothing was changed
     */
    public static Optional<String> returnWhenIdle() {
        boolean g1 = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .anyMatch(name -> name.startsWith("G1"));
        if (!g1) {
            return Optional.empty();
        }
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotspot == null) {
            return Optional.empty();
        }
        VMOption option = hotspot.getVMOption(OPTION);
        if (option.getOrigin() != VMOption.Origin.DEFAULT || !"0".equals(option.getValue())) {
            return Optional.empty();
        }
        hotspot.setVMOption(OPTION, Long.toString(INTERVAL_MILLIS));
        return Optional.of("G1 returns the heap to the system after " + INTERVAL_MILLIS + " ms without a collection");
    }
}
