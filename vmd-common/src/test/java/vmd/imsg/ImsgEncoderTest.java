package vmd.imsg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImsgEncoderTest {
    @Test
    void typeCodesAreUniqueAndLookUp() {
        Set<Integer> codes = new HashSet<>();
        for (ImsgType t : ImsgType.values()) {
            assertEquals(true, codes.add(t.code()), "duplicate code " + t.code());
            assertSame(t, ImsgType.fromCode(t.code()));
        }
        assertEquals(null, ImsgType.fromCode(0));
        assertEquals(FdPolicy.REQUIRED, ImsgType.CHILD_FD.fd());
    }

    @Test
    void headerIsLittleEndianAndHasFdFollowsTheDescriptor() {
        Imsg msg = Imsg.of(ImsgType.CHILD_FD, new byte[] {9}).withPeerId(0x01020304).withPid(77).withFd(5);
        ByteBuffer frame = ImsgEncoder.encode(msg);
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        assertArrayEquals(new byte[] {102, 0, 0, 0, 17, 0, 1, 0, 4, 3, 2, 1, 77, 0, 0, 0, 9}, bytes);
        assertEquals(ImsgHeader.IMSGF_HASFD, msg.flags());
        assertEquals(0, msg.withFd(-1).flags());
    }

    @Test
    void refusesWhatThePeerWouldReject() {
        assertThrows(IllegalArgumentException.class, () -> ImsgEncoder.encode(Imsg.of(ImsgType.CHILD_FD, new ChildFd("tap0"))));
        assertThrows(IllegalArgumentException.class, () -> ImsgEncoder.encode(Imsg.of(ImsgType.SHUTDOWN).withFd(3)));
        assertThrows(IllegalArgumentException.class, () -> Imsg.of(ImsgType.CHILD_CONFIG, new byte[ImsgHeader.MAX_PAYLOAD + 1]));
        assertThrows(IllegalArgumentException.class, () -> new Imsg(ImsgType.RESET, 4, 0, 0, ByteBuffer.allocate(0), -1));
        assertThrows(IllegalArgumentException.class, () -> new Imsg(ImsgType.RESET, 1, 0, 0, ByteBuffer.allocate(0), -1));
        assertEquals(ImsgHeader.MAX_IMSGSIZE, ImsgEncoder.encode(Imsg.of(ImsgType.CHILD_CONFIG, new byte[ImsgHeader.MAX_PAYLOAD])).remaining());
    }

    @Test
    void payloadIsAPrivateReadOnlyCopy() {
        byte[] data = {1, 2, 3};
        Imsg msg = Imsg.of(ImsgType.CHILD_CONFIG, data);
        data[0] = 9;
        ByteBuffer p = msg.payload();
        p.get();
        assertEquals(3, msg.payload().remaining());
        assertEquals(1, msg.payload().get(0));
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> msg.payload().put((byte) 0));
        assertNotNull(msg.toString());
    }
}
