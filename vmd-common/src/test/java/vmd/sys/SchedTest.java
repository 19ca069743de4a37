package vmd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A thread's scheduler slice (sched_setattr), as the kernel reports it back. */
class SchedTest {
    private static final long SYS_SETPRIORITY = 141;

    /** Runs {@code body} on a new thread and returns its slice before and after, and its nice value after. */
    private static long[] onThread(Runnable body) throws Exception {
        AtomicLongArray seen = new AtomicLongArray(3);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                seen.set(0, Sched.slice());
                body.run();
                seen.set(1, Sched.slice());
                seen.set(2, Sched.nice());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.start();
        t.join();
        if (failed.get() != null) throw new AssertionError(failed.get());
        return new long[] {seen.get(0), seen.get(1), seen.get(2)};
    }

    @Test
    void aThreadsSliceIsWhatItSetAndOnlyItsOwn() throws Exception {
        long[] s = onThread(() -> {
            // setpriority(PRIO_PROCESS, this thread, 5): a nice value to keep (raising it needs no privilege)
            Native.check("setpriority", Native.libc().syscall(SYS_SETPRIORITY, 0, 0, 5));
            Sched.setSlice(200_000);
        });
        // Before Linux 6.12 the kernel has no per-task slice and reports 0 before and after.
        if (s[0] == 0) {
            assertEquals(0, s[1], "a kernel without custom slices reports none");
        } else {
            assertEquals(200_000, s[1], "the slice set");
            assertTrue(s[0] != 200_000, "the default differs: " + s[0]);
        }
        assertEquals(5, s[2], "the nice value set before is kept");
        long[] other = onThread(() -> { });
        assertEquals(other[0], other[1]);
        assertTrue(other[0] != 200_000 || s[0] == 0, "another thread keeps the default slice");
    }
}
