package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RestartBudgetTest {
    private static final long S = 1_000_000_000L;

    @Test
    void allowsLimitRestartsPerWindowThenRefuses() {
        RestartBudget b = new RestartBudget(3, 60 * S);
        assertTrue(b.tryRestart(0));
        assertTrue(b.tryRestart(1 * S));
        assertTrue(b.tryRestart(2 * S));
        assertFalse(b.tryRestart(3 * S), "a fourth crash within the minute is not restarted");
        assertFalse(b.tryRestart(59 * S));
    }

    @Test
    void oldRestartsAgeOut() {
        RestartBudget b = new RestartBudget(2, 10 * S);
        assertTrue(b.tryRestart(100 * S));
        assertTrue(b.tryRestart(105 * S));
        assertFalse(b.tryRestart(109 * S));
        assertTrue(b.tryRestart(110 * S), "the first restart left the window");
        assertFalse(b.tryRestart(112 * S));
    }

    @Test
    void zeroLimitNeverRestarts() {
        assertFalse(new RestartBudget(0, S).tryRestart(0));
        assertThrows(IllegalArgumentException.class, () -> new RestartBudget(-1, S));
        assertEquals("3 restarts in 60 s", new RestartBudget(3, 60 * S).toString());
    }
}
