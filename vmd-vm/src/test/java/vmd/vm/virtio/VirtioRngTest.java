package vmd.vm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;

/** virtio-rng in process, with the test as the driver: rings in guest RAM, real eventfds. */
class VirtioRngTest {
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, BUF = 0x10000;
    GuestMemory mem;
    int kick, call;
    VirtioRng rng;
    final List<String> resets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        mem = GuestMemory.create("rng", List.of(new MemoryRegion(0, 1 << 20, 0)));
        kick = EventFds.create();
        call = EventFds.create();
    }

    @AfterEach
    void tearDown() {
        if (rng != null) rng.close();
        Fds.closeQuietly(kick);
        Fds.closeQuietly(call);
    }

    static boolean waitFor(int fd, int millis) {
        vmd.sys.PollSet set = new vmd.sys.PollSet();
        set.set(new int[] {fd});
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (set.poll(100) > 0 && EventFds.drain(fd) > 0) return true;
        }
        return false;
    }

    void start(VirtioRng device, long features) {
        rng = device;
        rng.attach(new DeviceEvents() {
            @Override
            public void configChanged() {}

            @Override
            public void needsReset(String why) {
                synchronized (resets) {
                    resets.add(why);
                    resets.notifyAll();
                }
            }
        });
        rng.startQueue(new QueueSetup(0, 8, DESC, AVAIL, USED, kick, call, features, 0));
    }

    void desc(int i, long addr, int len, int flags, int next) {
        mem.putLong(DESC + 16L * i, addr);
        mem.putInt(DESC + 16L * i + 8, len);
        mem.putShort(DESC + 16L * i + 12, (short) flags);
        mem.putShort(DESC + 16L * i + 14, (short) next);
    }

    void publish(int slot, int head, int idx) {
        mem.putShort(AVAIL + 4 + 2L * slot, (short) head);
        mem.putShort(AVAIL + 2, (short) idx);
    }

    @Test
    void fillsAWritableBufferAndInterrupts() {
        byte[] pattern = new byte[64];
        for (int i = 0; i < pattern.length; i++) pattern[i] = (byte) (i + 1);
        start(new VirtioRng(mem, new ByteArrayInputStream(pattern)), VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        desc(0, BUF, 16, VirtQueue.DESC_F_WRITE | VirtQueue.DESC_F_NEXT, 1);
        desc(1, BUF + 0x100, 16, VirtQueue.DESC_F_WRITE, 0);
        publish(0, 0, 1);
        Fds.eventfdSignal(kick);
        assertTrue(waitFor(call, 5000), "no interrupt");
        assertEquals(1, mem.getShort(USED + 2));
        assertEquals(0, mem.getInt(USED + 4));
        assertEquals(32, mem.getInt(USED + 8));
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern, 0, 16), mem.read(BUF, 16));
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern, 16, 32), mem.read(BUF + 0x100, 16));
        assertEquals(1, rng.stopQueue(0), "next avail index comes back");
    }

    @Test
    void eventIdxSuppressesTheInterruptTheDriverDidNotAskFor() {
        start(new VirtioRng(mem, new SecureRandom()), VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX));
        mem.putShort(AVAIL + 4 + 2 * 8, (short) 5); // used_event: interrupt only after the 6th buffer
        for (int i = 0; i < 2; i++) {
            desc(i, BUF + 0x100L * i, 32, VirtQueue.DESC_F_WRITE, 0);
            publish(i, i, i + 1);
            Fds.eventfdSignal(kick);
            if (i == 0) assertTrue(waitFor(call, 5000), "the first interrupt is always sent");
        }
        long deadline = System.currentTimeMillis() + 5000;
        while (mem.getShort(USED + 2) != 2 && System.currentTimeMillis() < deadline) Thread.onSpinWait();
        assertEquals(2, mem.getShort(USED + 2));
        assertFalse(waitFor(call, 300), "used_event not reached: no interrupt");
        assertEquals(2, mem.getShort(USED + 4 + 8 * 8), "avail_event asks for the next kick");
        byte[] random = mem.read(BUF, 32);
        assertFalse(java.util.Arrays.equals(random, new byte[32]));
    }

    @Test
    void aHostileRingMarksTheDeviceNotTheProcess() throws Exception {
        start(new VirtioRng(mem, new SecureRandom()), 0);
        desc(0, (1 << 20) - 8, 64, VirtQueue.DESC_F_WRITE, 0); // runs out of guest RAM
        publish(0, 0, 1);
        Fds.eventfdSignal(kick);
        synchronized (resets) {
            long deadline = System.currentTimeMillis() + 5000;
            while (resets.isEmpty() && System.currentTimeMillis() < deadline) resets.wait(100);
        }
        assertEquals(1, resets.size());
        assertTrue(resets.get(0).contains("outside guest RAM"), resets.get(0));
        assertEquals(0, mem.getShort(USED + 2));
        rng.stopQueue(0); // the thread is still alive and stops cleanly
    }
}
