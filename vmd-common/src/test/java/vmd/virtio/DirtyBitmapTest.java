package vmd.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The vhost-user log layout: bit gpa/4096 from bit 0 of byte 0, drained atomically. */
class DirtyBitmapTest {
    @Test
    void marksEveryPageARangeTouchesInVhostUsersLayout() {
        MemorySegment bits = Arena.ofAuto().allocate(DirtyBitmap.bytesFor(1 << 24), 8);
        DirtyBitmap log = new DirtyBitmap(bits);
        log.mark(0x9ff8, 16); // straddles pages 9 and 10
        log.mark(0x41000, 1); // page 65
        assertEquals((byte) 0x06, bits.get(ValueLayout.JAVA_BYTE, 1)); // pages 9 and 10: byte 1 bits 1 and 2
        assertEquals((byte) 0x02, bits.get(ValueLayout.JAVA_BYTE, 8)); // page 65: byte 8 bit 1
        long[] out = new long[2];
        log.drain(0, 128, out);
        assertEquals((1L << 9) | (1L << 10), out[0]);
        assertEquals(1L << 1, out[1]);
        long[] again = new long[2];
        log.drain(0, 128, again);
        assertEquals(0, again[0] | again[1], "drained");
    }

    @Test
    void marksPastTheEndAreDropped() {
        MemorySegment bits = Arena.ofAuto().allocate(8, 8);
        DirtyBitmap log = new DirtyBitmap(bits);
        log.mark(63 * 4096L, 3 * 4096);
        long[] out = new long[1];
        log.drain(0, 64, out);
        assertEquals(1L << 63, out[0]);
    }

    @Test
    void bytesForRoundsToWholeWords() {
        assertEquals(8, DirtyBitmap.bytesFor(4096));
        assertEquals(8, DirtyBitmap.bytesFor(64 * 4096));
        assertEquals(16, DirtyBitmap.bytesFor(64 * 4096 + 1));
        assertEquals(32 << 10, DirtyBitmap.bytesFor(1L << 30));
    }
}
