package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import vmd.sys.Sched;

/** A ring's thread: runs its body with the short scheduler slice, and stops on request. */
class RingThreadTest {
    @Test
    void theBodyRunsWithTheRingSliceAndStopEndsIt() throws Exception {
        AtomicLong slice = new AtomicLong(-1);
        CountDownLatch started = new CountDownLatch(1);
        RingThread[] t = new RingThread[1];
        t[0] = new RingThread("ring-test", () -> {
            slice.set(Sched.slice());
            started.countDown();
            while (!t[0].stopping()) Thread.onSpinWait();
        });
        t[0].start();
        assertTrue(started.await(10, TimeUnit.SECONDS), "the body ran");
        long here = Sched.slice();
        // A kernel without per-task slices (before Linux 6.12) reports 0 everywhere.
        if (here != 0) assertEquals(RingThread.SLICE_NANOS, slice.get(), "the ring thread's slice");
        else assertEquals(0, slice.get());
        assertTrue(here != RingThread.SLICE_NANOS || here == 0, "the starting thread keeps its own slice");
        t[0].stop();
        assertTrue(t[0].stopping());
    }
}
