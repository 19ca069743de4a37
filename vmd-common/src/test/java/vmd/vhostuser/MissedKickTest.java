package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;

/**
 * A driver that publishes chains and never kicks (a kick lost between a guest's barrier
 * and ours): the ring's worker still serves them, within a few of its re-check periods,
 * instead of stalling for good.
 */
class MissedKickTest {
    @Test
    void chainsPublishedWithoutAKickAreServed() throws Exception {
        GuestMemory mem = GuestMemory.create("vm", List.of(new MemoryRegion(0, 1 << 20, 0)));
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
        TestRing r = new TestRing(mem, 8, 0x1000, 0x2000, 0x3000);
        Vring v = new Vring(0, new VirtQueue(mem, 8, r.desc, r.avail, r.used, features), kick, mem, features,
                new EventNotifier(), new EventNotifier());
        AtomicInteger served = new AtomicInteger();
        VringWorker w = new VringWorker("missed", v, ring -> ring.processAvailable(chain -> {
            served.incrementAndGet();
            return 0;
        })).start();
        try {
            for (int i = 0; i < 4; i++) r.desc(i, 0x10000 + 0x100L * i, 64, 0, 0);
            Thread.sleep(100); // the worker has served its start and sleeps
            for (int i = 0; i < 4; i++) r.publish(i); // no Fds.eventfdSignal(kick)
            assertTrue(TestRing.eventually(10 * VringWorker.RECHECK_MILLIS, () -> r.usedIdx() == 4),
                    "served without a kick: used " + r.usedIdx());
            assertEquals(4, served.get());
        } finally {
            w.stop();
            Fds.close(kick);
        }
    }
}
