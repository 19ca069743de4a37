package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;

/** A guest that refills its ring as fast as it is served cannot keep a ring thread in one call forever. */
class VringBatchTest {
    @Test
    @Timeout(120) // without the bound the call never returns: fail instead of hanging the build
    void returnsAfterARingsWorthAndKicksItselfToComeBack() throws Exception {
        GuestMemory mem = GuestMemory.create("vm", List.of(new MemoryRegion(0, 1 << 20, 0)));
        int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        try {
            int size = 8;
            TestRing r = new TestRing(mem, size, 0x1000, 0x2000, 0x3000);
            for (int i = 0; i < size; i++) r.desc(i, 0x10000 + 0x100L * i, 64, 0, 0);
            for (int i = 0; i < size; i++) r.publish(i);
            long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
            Vring v = new Vring(0, new VirtQueue(mem, size, r.desc, r.avail, r.used, features), kick, mem, features,
                    new EventNotifier(), new EventNotifier());
            int[] seen = {0};
            // Every chain served is published again at once: the ring never runs dry.
            int served = v.processAvailable(chain -> {
                seen[0]++;
                r.publish(chain.head());
                return 0;
            });
            assertEquals(size, served, "one ring's worth, then back to the worker");
            assertEquals(size, r.usedIdx());
            assertEquals(1, Fds.eventfdDrain(kick), "kicked itself so the worker calls again without a guest kick");
            assertEquals(size, v.processAvailable(chain -> 0), "the refilled chains are still there");
        } finally {
            Fds.close(kick);
        }
    }
}
