package dev.sagestudio.models.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdleBlocksTest {

    @Test
    void aBlockGivenBackIsHandedOutAgainForTheSameSizeOnly() {
        IdleBlocks<String> idle = new IdleBlocks<>();
        assertTrue(idle.giveBack(1024, "a"));
        assertNull(idle.take(2048), "another size gets a fresh block");
        assertNull(idle.take(512), "a smaller request does not get a larger block either");
        assertSame("a", idle.take(1024));
        assertNull(idle.take(1024), "each block is handed out once");
    }

    @Test
    void idleBytesCountWhatIsKept() {
        IdleBlocks<String> idle = new IdleBlocks<>();
        idle.giveBack(100, "a");
        idle.giveBack(100, "b");
        idle.giveBack(300, "c");
        assertEquals(500, idle.idleBytes());
        idle.take(100);
        assertEquals(400, idle.idleBytes());
    }

    @Test
    void drainingHandsEveryIdleBlockToTheCallerToFree() {
        IdleBlocks<String> idle = new IdleBlocks<>();
        idle.giveBack(100, "a");
        idle.giveBack(300, "b");
        assertEquals(List.of("a", "b"), idle.drain().stream().sorted().toList());
        assertEquals(0, idle.idleBytes());
        assertNull(idle.take(100));
        assertTrue(idle.giveBack(100, "c"), "draining does not stop keeping");
    }

    @Test
    void onceClosedNothingIsKeptAndTheCallerFreesWhatIsGivenBack() {
        IdleBlocks<String> idle = new IdleBlocks<>();
        idle.giveBack(100, "a");
        assertEquals(List.of("a"), idle.close());
        assertFalse(idle.giveBack(100, "b"));
        assertNull(idle.take(100));
        assertEquals(0, idle.idleBytes());
    }
}
