package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;

class VhostUserConnectionTest {
    final int[] pair = UnixSockets.streamPair();
    final VhostUserConnection a = new VhostUserConnection(pair[0]);
    final VhostUserConnection b = new VhostUserConnection(pair[1]);

    @AfterEach
    void tearDown() {
        a.close();
        b.close();
    }

    @Test
    void closingTwiceLeavesAReusedDescriptorNumberAlone() {
        int number = a.fd();
        int e = Fds.eventfd(Fds.EFD_CLOEXEC);
        a.close();
        int reused = vmd.sys.Native.libc().dup2(e, number); // as the kernel may hand the number out again
        Fds.close(e);
        try {
            assertEquals(number, reused);
            a.shutdown();
            a.close(); // as a failed reconnect's connection, closed again when replaced
            Fds.eventfdSignal(reused);
            assertEquals(1, Fds.eventfdRead(reused), "the new descriptor is still open");
        } finally {
            Fds.close(reused);
        }
    }

    @Test
    void messagesWithSeveralDescriptors() {
        int e1 = Fds.eventfd(Fds.EFD_CLOEXEC), e2 = Fds.eventfd(Fds.EFD_CLOEXEC);
        byte[] table = new MemTable(java.util.List.of(new MemRegion(0, 4096, 0x1000, 0), new MemRegion(4096, 4096, 0x2000, 4096))).encode();
        a.send(VhostUserMessage.request(VhostUserRequest.SET_MEM_TABLE, table, e1, e2).needReply(true));
        a.send(VhostUserMessage.request(VhostUserRequest.GET_FEATURES));
        VhostUserMessage m = b.receive(2000);
        assertEquals(VhostUserRequest.SET_MEM_TABLE, m.type());
        assertTrue(m.needsReply());
        assertArrayEquals(table, m.payload());
        assertEquals(2, m.fdCount());
        int r1 = m.takeFd(0);
        Fds.eventfdSignal(e1);
        assertEquals(1, Fds.eventfdRead(r1), "the received descriptor is the same eventfd");
        assertTrue(Fds.isCloexec(r1));
        m.closeFds();
        Fds.close(r1);
        VhostUserMessage next = b.receive(2000);
        assertEquals(VhostUserRequest.GET_FEATURES, next.type());
        assertEquals(0, next.fdCount(), "descriptors do not leak into the next message");
        Fds.close(e1);
        Fds.close(e2);
    }

    @Test
    void endOfStream() {
        a.close();
        assertNull(b.receive(2000));
    }

    @Test
    void endOfStreamInsideAMessage() {
        UnixSockets.sendFully(pair[0], ByteBuffer.allocateDirect(12).order(java.nio.ByteOrder.nativeOrder()).putInt(0, 1).putInt(4, 1).putInt(8, 8).position(0));
        a.shutdown();
        VhostUserClosedException e = assertThrows(VhostUserClosedException.class, () -> b.receive(2000));
        assertEquals("peer closed the connection in the middle of GET_FEATURES (0 of 8 bytes)", e.getMessage());
    }

    @Test
    void truncatedHeader() {
        UnixSockets.sendFully(pair[0], ByteBuffer.allocateDirect(5));
        a.shutdown();
        VhostUserClosedException e = assertThrows(VhostUserClosedException.class, () -> b.receive(2000));
        assertEquals("peer closed the connection in the middle of a header (5 of 12 bytes)", e.getMessage());
    }

    @Test
    void timeout() {
        long t0 = System.nanoTime();
        VhostUserClosedException e = assertThrows(VhostUserClosedException.class, () -> b.receive(100));
        assertEquals("no reply within the timeout", e.getMessage());
        assertTrue(System.nanoTime() - t0 >= 90_000_000L);
    }

    @Test
    void sendToAClosedPeer() {
        b.close();
        assertThrows(VhostUserClosedException.class, () -> a.send(VhostUserMessage.request(VhostUserRequest.SET_OWNER)));
    }
}
