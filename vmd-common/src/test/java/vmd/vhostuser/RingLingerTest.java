package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;

/**
 * The transmit ring's watch after it runs dry (Vring.processAvailable with a linger):
 * off on a ring's first pass; once the driver has come back soon after the ring slept,
 * a chain it adds while the ring watches is served in the same pass, without a kick;
 * after a long sleep the watch shrinks, and a pass without a linger never waits.
 */
class RingLingerTest {
    static final long MAX = 400_000_000L; // long enough that scheduling cannot decide the test

    @Test
    void aChainAddedDuringTheWatchIsServedWithoutAKick() throws Exception {
        GuestMemory mem = GuestMemory.create("vm", List.of(new MemoryRegion(0, 1 << 20, 0)));
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        try {
            long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
            TestRing r = new TestRing(mem, 8, 0x1000, 0x2000, 0x3000);
            for (int i = 0; i < 8; i++) r.desc(i, 0x10000 + 0x100L * i, 64, 0, 0);
            Vring v = new Vring(0, new VirtQueue(mem, 8, r.desc, r.avail, r.used, features), kick, mem, features,
                    new EventNotifier(), new EventNotifier());
            r.publish(0);
            assertEquals(1, v.processAvailable(c -> 0, MAX), "the first pass serves what is there and does not wait");
            Thread driver = new Thread(() -> {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
                r.publish(1); // no kick
            });
            driver.start(); // back at once: the ring watches (MAX / 8 = 50 ms) before asking for a kick
            assertEquals(1, v.processAvailable(c -> 0, MAX), "the chain added 20 ms into the watch, served in this pass");
            driver.join();
            assertEquals(2, r.usedIdx());
            assertEquals(0, Fds.eventfdDrain(kick), "and the device did not kick itself to come back");
            r.publish(2);
            assertEquals(1, v.processAvailable(c -> 0), "without a linger the pass takes what is there and returns");
        } finally {
            Fds.close(kick);
        }
    }
}
