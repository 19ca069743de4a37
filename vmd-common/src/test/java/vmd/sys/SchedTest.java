package vmd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A thread's scheduler slice (sched_setattr), as the kernel reports it back. */
class SchedTest {
    /** Runs {@code body} on a new thread and returns {before, after} slices and nice values. */
    private static long[] onThread(Runnable body) throws Exception {
        AtomicLongArray seen = new AtomicLongArray(4);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                seen.set(0, Sched.slice());
                seen.set(2, Sched.nice());
                body.run();
                seen.set(1, Sched.slice());
                seen.set(3, Sched.nice());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.start();
        t.join();
        if (failed.get() != null) throw new AssertionError(failed.get());
        return new long[] {seen.get(0), seen.get(1), seen.get(2), seen.get(3)};
    }

    @Test
    void aThreadsSliceIsWhatItSetAndOnlyItsOwn() throws Exception {
        long[] s = onThread(() -> Sched.setSlice(200_000));
        // Before Linux 6.12 the kernel has no per-task slice and reports 0 before and after.
        if (s[0] == 0) {
            assertEquals(0, s[1], "a kernel without custom slices reports none");
        } else {
            assertEquals(200_000, s[1], "the slice set");
            assertTrue(s[0] != 200_000, "the default differs: " + s[0]);
        }
        assertEquals(s[2], s[3], "the nice value is kept");
        long[] other = onThread(() -> { });
        assertEquals(other[0], other[1]);
        assertTrue(other[0] != 200_000 || s[0] == 0, "another thread keeps the default slice");
    }
}
