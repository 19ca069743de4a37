package vmd.vioblk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import vmd.disk.Disk;
import vmd.disk.ImageFile;
import vmd.disk.RawDisk;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.vhostuser.EventNotifier;
import vmd.vhostuser.TestRing;
import vmd.vhostuser.Vring;
import vmd.virtio.VirtQueue;

/**
 * A started queue with large and small requests mixed, as a streaming guest sends them:
 * the large ones served on the I/O threads and completed out of order, every one answered
 * once with the right data and used length, and a stop that returns only when no request
 * is left with the I/O threads (afterwards the ring does not move).
 */
@Timeout(120) // a request left blocked would hang the build: fail instead
class RequestQueueTest {
    static final int QSIZE = 64, LARGE = 256 << 10, SMALL = 4096;
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, HDRS = 0x10000, STATUS = 0x20000, DATA = 0x100000;
    static final long DISK = 16 << 20;

    @TempDir
    Path tmp;
    GuestMemory mem;
    TestRing ring;
    VirtQueue queue;
    BlockDevice dev;
    byte[] image;
    int kick;

    @BeforeEach
    void setUp() throws Exception {
        mem = GuestMemory.create("rq-test", List.of(new MemoryRegion(0, 64 << 20, 0)));
        ring = new TestRing(mem, QSIZE, DESC, AVAIL, USED);
        queue = new VirtQueue(mem, QSIZE, DESC, AVAIL, USED, 0);
        image = new byte[(int) DISK];
        new Random(7).nextBytes(image);
        Path file = tmp.resolve("disk.raw");
        Files.write(file, image);
        dev = new BlockDevice("rq", RawDisk.open(ImageFile.open(file, true), false), 1, "rq");
        kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        dev.startQueue(new Vring(0, queue, kick, mem, 0, new EventNotifier(), new EventNotifier()));
    }

    @AfterEach
    void tearDown() throws Exception {
        dev.close();
        Fds.closeQuietly(kick);
    }

    /** Request {@code i}: header, data buffer {@code i}, status; three descriptors from 3*i. */
    void read(int i, long sector, int length) {
        long hdr = HDRS + 16L * i;
        mem.putInt(hdr, BlkRequest.T_IN);
        mem.putInt(hdr + 4, 0);
        mem.putLong(hdr + 8, sector);
        mem.putByte(STATUS + i, (byte) 0x7f);
        mem.write(DATA + (long) i * LARGE, new byte[length]);
        int d = 3 * i;
        ring.desc(d, hdr, 16, VirtQueue.DESC_F_NEXT, d + 1);
        ring.desc(d + 1, DATA + (long) i * LARGE, length, VirtQueue.DESC_F_NEXT | VirtQueue.DESC_F_WRITE, d + 2);
        ring.desc(d + 2, STATUS + i, 1, VirtQueue.DESC_F_WRITE, 0);
        ring.publish(d);
    }

    @Test
    void largeAndSmallReadsAreEachAnsweredOnceWithTheirData() throws Exception {
        int n = 20;
        int[] lengths = new int[n];
        long[] sectors = new long[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = i % 3 == 2 ? SMALL : LARGE;
            sectors[i] = (long) i * (DISK / n) / 512;
            read(i, sectors[i], lengths[i]);
        }
        Fds.eventfdSignal(kick);
        assertTrue(TestRing.eventually(10_000, () -> ring.usedIdx() == n), "all answered: " + ring.usedIdx());
        Set<Integer> heads = new HashSet<>();
        for (int slot = 0; slot < n; slot++) {
            int head = ring.usedId(slot);
            assertTrue(heads.add(head), "head " + head + " answered twice");
            int i = head / 3;
            assertEquals(lengths[i] + 1, ring.usedLen(slot), "data and status of request " + i);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(BlkRequest.S_OK, mem.getByte(STATUS + i), "status of request " + i);
            byte[] want = new byte[lengths[i]];
            System.arraycopy(image, (int) (sectors[i] * 512), want, 0, lengths[i]);
            assertArrayEquals(want, mem.read(DATA + (long) i * LARGE, lengths[i]), "data of request " + i);
        }
    }

    /** A disk whose large reads wait until their offset is released (or all are). */
    static final class GatedDisk implements Disk {
        final Disk disk;
        final Set<Long> released = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile boolean all;

        GatedDisk(Disk disk) {
            this.disk = disk;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            while (dst.remaining() >= LARGE && !all && !released.contains(offset)) java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            disk.read(offset, dst);
        }

        @Override public long size() { return disk.size(); }
        @Override public boolean readOnly() { return disk.readOnly(); }
        @Override public void write(long offset, ByteBuffer src) throws IOException { disk.write(offset, src); }
        @Override public void flush() throws IOException { disk.flush(); }
        @Override public boolean supportsDiscard() { return false; }
        @Override public void discard(long offset, long length) { }
        @Override public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException { disk.writeZeroes(offset, length, mayUnmap); }
        @Override public void close() throws IOException { disk.close(); }
    }

    @Test
    void stopReturnsOnlyWhenEveryPoppedRequestIsAnswered() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "I/O threads need two CPUs");
        dev.close();
        GatedDisk gated = new GatedDisk(RawDisk.open(ImageFile.open(tmp.resolve("disk.raw"), true), false));
        dev = new BlockDevice("rq", gated, 1, "rq");
        int n = 8;
        // Published before the queue starts, so its first pass takes all of them at once.
        for (int i = 0; i < n; i++) read(i, (long) i * 1024, LARGE);
        Thread stopper = new Thread(() -> dev.stopQueue(0));
        try {
            dev.startQueue(new Vring(0, queue, kick, mem, 0, new EventNotifier(), new EventNotifier()));
            assertTrue(TestRing.eventually(10_000, () -> queue.nextAvail() == n), "the queue took every request");
            stopper.start();
            // The ring's thread serves the last request itself; the others wait on the I/O threads.
            gated.released.add((long) (n - 1) * 1024 * 512);
            assertTrue(TestRing.eventually(10_000, () -> ring.usedIdx() == 1), "the ring thread's own request answered");
            stopper.join(300);
            assertTrue(stopper.isAlive(), "the stop waits while requests are with the I/O threads");
        } finally {
            gated.all = true; // whatever failed above, nothing may stay blocked
        }
        stopper.join(10_000);
        assertFalse(stopper.isAlive(), "and returns once they are answered");
        int used = ring.usedIdx();
        assertEquals(n, used, "every request the device took was answered before the stop returned");
        Thread.sleep(200);
        assertEquals(used, ring.usedIdx(), "and nothing touched the ring afterwards");
    }
}
