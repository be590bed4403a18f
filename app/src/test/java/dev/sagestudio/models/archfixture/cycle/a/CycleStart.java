package dev.sagestudio.models.archfixture.cycle.a;

import dev.sagestudio.models.archfixture.cycle.b.CycleEnd;

/** Test fixture, deliberately wrong: package a uses package b, which uses package a. */
public final class CycleStart {
    private CycleStart() {}

    public static Object next() {
        return CycleEnd.back();
    }
}
