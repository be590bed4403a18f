package dev.sagestudio.models.archfixture.cycle.b;

import dev.sagestudio.models.archfixture.cycle.a.CycleStart;

/** Test fixture, deliberately wrong: the other half of the cycle. */
public final class CycleEnd {
    private CycleEnd() {}

    public static Object back() {
        return CycleStart.class;
    }
}
