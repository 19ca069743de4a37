package vmd.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;

class VirtQueueTest {
    static final long INDIRECT = VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC);
    static final long EVENT_IDX = VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
    static final long V1 = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
    static final int N = VirtQueue.DESC_F_NEXT, W = VirtQueue.DESC_F_WRITE, I = VirtQueue.DESC_F_INDIRECT;
    static GuestMemory mem;

    @BeforeAll
    static void setUp() {
        mem = Rings.ram();
    }

    private Rings fresh(int size) {
        // zero the ring area so every test starts from a clean driver state
        mem.write(0x1000, new byte[0xf000]);
        return Rings.standard(mem, size);
    }

    private static VirtQueueException failing(Rings r, long features) throws VirtQueueException {
        VirtQueue q = r.queue(features);
        return assertThrows(VirtQueueException.class, q::pop);
    }

    @Test
    void popsAReadableThenWritableChainAndPublishesUsed() throws Exception {
        Rings r = fresh(8);
        mem.write(0x20000, "hello".getBytes(StandardCharsets.US_ASCII));
        r.desc(3, 0x20000, 5, N, 6);
        r.desc(6, 0x30000, 100, W | N, 1);
        r.desc(1, 0x31000, 28, W, 0);
        r.publish(3);
        VirtQueue q = r.queue(V1);
        assertTrue(q.hasAvailable());
        DescriptorChain c = q.pop();
        assertNotNull(c);
        assertEquals(3, c.head());
        assertEquals(3, c.descriptorCount());
        assertEquals(5, c.readableLength());
        assertEquals(128, c.writableLength());
        assertEquals("hello", new String(c.readReadable(100), StandardCharsets.US_ASCII));
        assertEquals(0x30000, c.writableSegments().get(0).address());
        assertEquals(2, c.writable().size());
        int n = c.writeWritable(98, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
        assertEquals(4, n);
        assertEquals(1, mem.getByte(0x30000 + 98));
        assertEquals(3, mem.getByte(0x31000));
        assertNull(q.pop());
        q.pushUsed(c, 102);
        assertEquals(1, r.usedIdx());
        assertEquals(3, r.usedId(0));
        assertEquals(102, r.usedLen(0));
        assertEquals(1, q.nextAvail());
    }

    /** While migrating, a used chain marks its writable buffers whole and the used ring, never its readable ones. */
    @Test
    void aDirtyLogSeesEveryPageTheDeviceMayHaveWritten() throws Exception {
        Rings r = fresh(8);
        r.desc(0, 0x20000, 5, N, 1);
        r.desc(1, 0x30ff0, 0x20, W | N, 2); // straddles pages 0x30 and 0x31
        r.desc(2, 0x35000, 1, W, 0);
        r.publish(0);
        VirtQueue q = r.queue(V1);
        java.util.TreeSet<Long> pages = new java.util.TreeSet<>();
        q.setDirtyLog((gpa, len) -> {
            for (long p = gpa >>> 12; p <= (gpa + len - 1) >>> 12; p++) pages.add(p);
        });
        q.pushUsed(q.pop(), 1); // reports 1 byte written: the log still takes both buffers whole
        assertEquals(new java.util.TreeSet<>(java.util.List.of(0x30L, 0x31L, 0x35L, 0xaL)), pages);
    }

    @Test
    void followsAnIndirectTable() throws Exception {
        Rings r = fresh(4);
        long table = 0x40000;
        Rings.desc(mem, table, 0, 0x50000, 16, N, 1);
        Rings.desc(mem, table, 1, 0x51000, 512, W | N, 2);
        Rings.desc(mem, table, 2, 0x52000, 1, W, 0);
        r.desc(0, table, 48, I, 0);
        r.publish(0);
        DescriptorChain c = r.queue(INDIRECT).pop();
        assertEquals(16, c.readableLength());
        assertEquals(513, c.writableLength());
        assertEquals(4, c.descriptorCount());
    }

    @Test
    void indirectNeedsTheFeature() throws Exception {
        Rings r = fresh(4);
        Rings.desc(mem, 0x40000, 0, 0x50000, 16, 0, 0);
        r.desc(0, 0x40000, 16, I, 0);
        r.publish(0);
        assertTrue(failing(r, 0).getMessage().contains("RING_INDIRECT_DESC"));
    }

    @Test
    void rejectsLoops() throws Exception {
        Rings r = fresh(4);
        r.desc(0, 0x20000, 8, N, 1);
        r.desc(1, 0x20000, 8, N, 0);
        r.publish(0);
        VirtQueueException e = failing(r, 0);
        assertTrue(e.getMessage().contains("loops"), e.getMessage());
        assertEquals(0, e.head());
    }

    @Test
    void rejectsLoopsInsideIndirectTables() throws Exception {
        Rings r = fresh(4);
        Rings.desc(mem, 0x40000, 0, 0x20000, 8, N, 1);
        Rings.desc(mem, 0x40000, 1, 0x20000, 8, N, 0);
        r.desc(0, 0x40000, 32, I, 0);
        r.publish(0);
        assertTrue(failing(r, INDIRECT).getMessage().contains("loops"));
    }

    @Test
    void rejectsNextOutOfRangeAndHeadOutOfRange() throws Exception {
        Rings r = fresh(4);
        r.desc(0, 0x20000, 8, N, 4);
        r.publish(0);
        assertTrue(failing(r, 0).getMessage().contains("out of range"));
        r = fresh(4);
        r.publish(7);
        assertTrue(failing(r, 0).getMessage().contains("head index"));
    }

    @Test
    void rejectsBuffersOutsideRam() throws Exception {
        long[][] cases = {{Rings.RAM - 4, 8}, {Rings.RAM, 1}, {0xffff_ffff_ffff_fff0L, 0x20}, {0x7fff_ffff_ffff_fff0L, 0x20},
                {0, 0xffff_ffffL}};
        for (long[] c : cases) {
            Rings r = fresh(2);
            r.desc(0, c[0], (int) c[1], 0, 0);
            r.publish(0);
            VirtQueueException e = failing(r, 0);
            assertTrue(e.getMessage().contains("outside") || e.getMessage().contains("overflow"), e.getMessage());
        }
    }

    @Test
    void rejectsZeroLength() throws Exception {
        Rings r = fresh(2);
        r.desc(0, 0x20000, 0, 0, 0);
        r.publish(0);
        assertTrue(failing(r, 0).getMessage().contains("zero-length"));
    }

    @Test
    void rejectsReadableAfterWritable() throws Exception {
        Rings r = fresh(4);
        r.desc(0, 0x20000, 8, W | N, 1);
        r.desc(1, 0x21000, 8, 0, 0);
        r.publish(0);
        assertTrue(failing(r, 0).getMessage().contains("after"));
    }

    @Test
    void rejectsBadIndirectTables() throws Exception {
        int[][] bad = {{0, I}, {17, I}, {16, I | N}, {16 * 32769, I}};
        for (int[] b : bad) {
            Rings r = fresh(4);
            Rings.desc(mem, 0x40000, 0, 0x20000, 8, 0, 0);
            r.desc(0, 0x40000, b[0], b[1], 1);
            r.desc(1, 0x20000, 8, 0, 0);
            r.publish(0);
            failing(r, INDIRECT);
        }
        // nested
        Rings r = fresh(4);
        Rings.desc(mem, 0x40000, 0, 0x41000, 16, I, 0);
        Rings.desc(mem, 0x41000, 0, 0x20000, 8, 0, 0);
        r.desc(0, 0x40000, 16, I, 0);
        r.publish(0);
        assertTrue(failing(r, INDIRECT).getMessage().contains("nested"));
        // table outside RAM
        r = fresh(4);
        r.desc(0, Rings.RAM - 16, 32, I, 0);
        r.publish(0);
        assertTrue(failing(r, INDIRECT).getMessage().contains("outside"));
    }

    @Test
    void rejectsChainsLongerThan4GiB() throws Exception {
        Rings r = fresh(2);
        int entries = 8193;
        long table = 0x20000;
        for (int i = 0; i < entries; i++) {
            Rings.desc(mem, table, i, 0x80000, 0x80000, N, i + 1);
        }
        Rings.desc(mem, table, entries - 1, 0x80000, 0x80000, 0, 0);
        r.desc(0, table, entries * 16, I, 0);
        r.publish(0);
        assertTrue(failing(r, INDIRECT).getMessage().contains("4 GiB"));
    }

    @Test
    void rejectsAvailIndexRunningAhead() throws Exception {
        Rings r = fresh(4);
        mem.putShort(r.avail + 2, (short) 5);
        VirtQueue q = r.queue(0);
        assertThrows(VirtQueueException.class, q::hasAvailable);
        assertThrows(VirtQueueException.class, q::pop);
        mem.putShort(r.avail + 2, (short) 0xffff); // moved backwards
        assertThrows(VirtQueueException.class, q::pop);
    }

    @Test
    void rejectsBadRingPlacement() {
        GuestMemory m = mem;
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 3, 0x1000, 0x9000, 0xa000, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 65536, 0x1000, 0x9000, 0xa000, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 8, 0x1008, 0x9000, 0xa000, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 8, 0x1000, 0x9001, 0xa000, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 8, 0x1000, 0x9000, 0xa002, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 256, Rings.RAM - 16, 0x9000, 0xa000, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 256, 0x1000, 0x9000, Rings.RAM - 8, 0));
        assertThrows(VirtQueueException.class, () -> new VirtQueue(m, 256, 0x1000, -2, 0xa000, 0));
    }

    @Test
    void eventIdxSuppressesInterruptsUntilUsedEventIsPassed() throws Exception {
        Rings r = fresh(8);
        for (int i = 0; i < 4; i++) {
            r.desc(i, 0x20000 + i * 0x100, 16, W, 0);
            r.publish(i);
        }
        VirtQueue q = r.queue(EVENT_IDX);
        r.setUsedEvent(2); // interrupt when used.idx passes 2, i.e. becomes 3
        q.pushUsed(q.pop(), 1);
        assertTrue(q.needsNotification(), "first notification is always sent");
        q.pushUsed(q.pop(), 1); // used.idx 2
        assertFalse(q.needsNotification());
        q.pushUsed(q.pop(), 1); // used.idx 3 passes event 2
        assertTrue(q.needsNotification());
        q.pushUsed(q.pop(), 1);
        assertFalse(q.needsNotification());
        assertFalse(q.enableNotification());
        assertEquals(4, r.availEvent());
        r.desc(4, 0x20000, 16, W, 0);
        r.publish(4);
        assertTrue(q.enableNotification());
    }

    @Test
    void noInterruptFlagWithoutEventIdx() throws Exception {
        Rings r = fresh(4);
        r.desc(0, 0x20000, 16, W, 0);
        r.publish(0);
        VirtQueue q = r.queue(0);
        q.pushUsed(q.pop(), 0);
        assertTrue(q.needsNotification());
        mem.putShort(r.avail, (short) VirtQueue.AVAIL_F_NO_INTERRUPT);
        assertFalse(q.needsNotification());
        q.disableNotification();
        assertEquals(VirtQueue.USED_F_NO_NOTIFY, mem.getShort(r.used));
        q.enableNotification();
        assertEquals(0, mem.getShort(r.used));
    }

    @Test
    void needEventMatchesTheSpecFormula() {
        assertTrue(VirtQueue.needEvent(0, 1, 0));
        assertFalse(VirtQueue.needEvent(1, 1, 0));
        assertTrue(VirtQueue.needEvent(0xffff, 0, 0xffff));
        assertTrue(VirtQueue.needEvent(5, 10, 3));
        assertFalse(VirtQueue.needEvent(10, 10, 3));
    }

    @Test
    void indexesWrapAt65536() throws Exception {
        Rings r = fresh(2);
        r.availIdx = 0xffff;
        mem.putShort(r.avail + 2, (short) 0xffff);
        mem.putShort(r.used + 2, (short) 0xffff);
        VirtQueue q = new VirtQueue(mem, 2, r.desc, r.avail, r.used, 0, 0xffff);
        assertEquals(0xffff, q.nextUsed());
        r.desc(0, 0x20000, 4, W, 0);
        r.desc(1, 0x20000, 4, W, 0);
        r.publish(0);
        r.publish(1);
        assertEquals(1, r.availIdx);
        q.pushUsed(q.pop(), 4);
        q.pushUsed(q.pop(), 4);
        assertNull(q.pop());
        assertEquals(1, r.usedIdx());
    }
}
