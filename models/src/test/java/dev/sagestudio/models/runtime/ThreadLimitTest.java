package dev.sagestudio.models.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Threads are bounded by the cores: more is refused with the limit named, never attempted. */
class ThreadLimitTest {

    @Test
    void zeroAndOneUpToTheCoresAreAccepted() {
        assertEquals(0, ThreadLimit.check(0, 2));
        assertEquals(1, ThreadLimit.check(1, 2));
        assertEquals(2, ThreadLimit.check(2, 2));
    }

    @Test
    void moreThanTheCoresOrANegativeCountIsRefusedNamingTheLimit() {
        for (int threads : new int[] {3, 999, 100_000, -3}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ThreadLimit.check(threads, 2));
            assertTrue(e.getMessage().contains("between 1 and 2") && e.getMessage().contains("got " + threads),
                    e.getMessage());
        }
    }

    @Test
    void aRuntimeCannotBeOpenedWithMoreThreadsThanThisMachineHas() {
        int cores = ThreadLimit.max();
        var e = assertThrows(IllegalArgumentException.class, () -> OrtRuntime.cpu(cores + 1));
        assertTrue(e.getMessage().contains("between 1 and " + cores), e.getMessage());
    }
}
