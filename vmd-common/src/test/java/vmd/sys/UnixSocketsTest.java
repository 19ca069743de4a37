package vmd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UnixSocketsTest {

    @Test
    void severalDescriptorsTravelWithOnePayload() {
        int[] pair = UnixSockets.streamPair();
        int[] pipeA = Fds.pipe();
        int[] pipeB = Fds.pipe();
        int efd = Fds.eventfd(Fds.EFD_CLOEXEC);
        try {
            UnixSockets.sendFully(pair[0], ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)),
                    pipeA[1], pipeB[1], efd);
            ByteBuffer in = ByteBuffer.allocate(64);
            UnixSockets.Received r = UnixSockets.receive(pair[1], in);
            assertEquals(5, r.bytes());
            assertEquals("hello", new String(in.array(), 0, 5, StandardCharsets.US_ASCII));
            assertEquals(3, r.fds().length);
            for (int fd : r.fds()) assertTrue(Fds.isCloexec(fd), "received fds are close-on-exec");

            // The received write ends are the same pipes: bytes written through them arrive.
            Fds.write(r.fds()[0], ByteBuffer.wrap(new byte[] {42}));
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            Fds.read(pipeA[0], one);
            assertEquals(42, one.get(0));
            Fds.eventfdSignal(r.fds()[2]);
            assertEquals(1, Fds.eventfdRead(efd));
            for (int fd : r.fds()) Fds.close(fd);
        } finally {
            for (int fd : new int[] {pair[0], pair[1], pipeA[0], pipeA[1], pipeB[0], pipeB[1], efd}) Fds.closeQuietly(fd);
        }
    }

    @Test
    void peerCloseReadsAsEof() {
        int[] pair = UnixSockets.streamPair();
        Fds.close(pair[0]);
        UnixSockets.Received r = UnixSockets.receive(pair[1], ByteBuffer.allocate(16));
        assertTrue(r.eof());
        Fds.close(pair[1]);
    }
}
