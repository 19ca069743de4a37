package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class MacFilterTest {
    static final byte[] MAC = {0x52, 0x54, 0, 1, 2, 3};

    static ByteBuffer frame(byte[] dst, byte[] src) {
        ByteBuffer b = ByteBuffer.allocate(12 + 60);
        b.position(12);
        b.put(dst).put(src).putShort((short) 0x0800);
        return b.clear();
    }

    @Test
    void lockedDropsForeignSourcesAndForeignUnicast() {
        MacFilter f = new MacFilter(MAC, true);
        byte[] other = {0x52, 0x54, 0, 9, 9, 9};
        byte[] bcast = {-1, -1, -1, -1, -1, -1};
        byte[] mcast = {0x01, 0x00, 0x5e, 0, 0, 1};
        assertTrue(f.allowOutgoing(frame(bcast, MAC), 12, 60));
        assertFalse(f.allowOutgoing(frame(bcast, other), 12, 60), "spoofed source");
        assertTrue(f.allowIncoming(frame(MAC, other), 12, 60));
        assertTrue(f.allowIncoming(frame(bcast, other), 12, 60));
        assertTrue(f.allowIncoming(frame(mcast, other), 12, 60));
        assertFalse(f.allowIncoming(frame(other, MAC), 12, 60), "unicast for another station");
        assertFalse(f.allowOutgoing(frame(bcast, MAC), 12, 10), "runt");
    }

    @Test
    void unlockedPassesEverythingButRunts() {
        MacFilter f = new MacFilter(MAC, false);
        byte[] other = {0x52, 0x54, 0, 9, 9, 9};
        assertTrue(f.allowOutgoing(frame(other, other), 12, 60));
        assertTrue(f.allowIncoming(frame(other, other), 12, 60));
        assertFalse(f.allowIncoming(frame(other, other), 12, 13));
    }
}
