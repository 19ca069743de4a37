package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Coverage-guided (Jazzer) vhost-user decoding, what a hostile peer sends: frames
 * (VhostUserCodec) and every payload codec. The contract: a VhostUserProtocolException
 * or a value that encodes back to the same bytes (padding aside); MemRegion's range
 * checks agree with exact arithmetic. Any other exception is a finding.
 */
class VhostUserMessageFuzzTest {
    /** The input: a control byte, then a frame; the frame starts 0-3 bytes later, as its bits 0-1 say. */
    @FuzzTest
    void frame(byte[] data) {
        int at = data.length == 0 ? 0 : Math.min(1 + (data[0] & 3), data.length);
        ByteBuffer b = ByteBuffer.wrap(data).position(at);
        VhostUserMessage m;
        try {
            m = VhostUserCodec.decode(b);
        } catch (VhostUserProtocolException e) {
            return;
        }
        assertEquals(at, b.position(), "decode does not move the buffer");
        assertEquals(VhostUserMessage.VERSION, m.version());
        assertTrue(m.size() <= VhostUserCodec.MAX_PAYLOAD);
        ByteBuffer encoded = VhostUserCodec.encode(m);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.duplicate().get(bytes);
        assertArrayEquals(Arrays.copyOfRange(data, at, at + VhostUserCodec.HEADER_SIZE + m.size()), bytes, "re-encodes to its bytes");
        assertEquals(m, VhostUserCodec.decode(encoded));
    }

    /** The input is one payload, given to every payload codec in turn. */
    @FuzzTest
    void payloads(byte[] data) {
        byte[] p = Arrays.copyOf(data, Math.min(data.length, VhostUserCodec.MAX_PAYLOAD));
        VhostUserMessage m = VhostUserMessage.request(VhostUserRequest.SET_MEM_TABLE, p);
        try {
            MemTable t = MemTable.decode(m);
            assertTrue(t.regions().size() <= MemTable.MAX_REGIONS);
            assertArrayEquals(zeroed(p, 4, 8), t.encode(), "MemTable re-encodes (padding zeroed)");
            for (MemRegion r : t.regions()) checkRanges(r, p);
        } catch (VhostUserProtocolException e) {
            // refused
        }
        try {
            MemRegion r = MemTable.decodeSingle(m);
            assertArrayEquals(zeroed(p, 0, 8), MemTable.encodeSingle(r), "single region re-encodes (padding zeroed)");
            checkRanges(r, p);
        } catch (VhostUserProtocolException e) {
            // refused
        }
        try {
            assertArrayEquals(p, VringAddr.decode(m).encode(), "VringAddr re-encodes");
        } catch (VhostUserProtocolException e) {
            // refused
        }
        try {
            assertArrayEquals(p, VringState.decode(m).encode(), "VringState re-encodes");
        } catch (VhostUserProtocolException e) {
            // refused
        }
        try {
            InflightDescription d = InflightDescription.decode(m);
            assertArrayEquals(zeroed(Arrays.copyOf(p, InflightDescription.SIZE), 20, 24), d.encode(), "inflight re-encodes");
        } catch (VhostUserProtocolException e) {
            // refused
        }
        try {
            ConfigSpace c = ConfigSpace.decode(m);
            assertTrue(c.offset() >= 0 && c.size() <= ConfigSpace.MAX_SIZE && c.offset() + c.size() <= ConfigSpace.MAX_SIZE);
            assertArrayEquals(p, c.encode(), "ConfigSpace re-encodes");
        } catch (VhostUserProtocolException e) {
            // refused
        }
        try {
            assertArrayEquals(p, VhostUserMessage.u64(m.u64()), "u64 re-encodes");
        } catch (VhostUserProtocolException e) {
            // refused
        }
    }

    private static byte[] zeroed(byte[] b, int from, int to) {
        byte[] c = b.clone();
        Arrays.fill(c, from, Math.min(to, c.length), (byte) 0);
        return c;
    }

    private static final BigInteger U64 = BigInteger.ONE.shiftLeft(64);

    private static BigInteger unsigned(long v) {
        BigInteger b = BigInteger.valueOf(v);
        return v < 0 ? b.add(U64) : b;
    }

    /** containsUser on the region's edges and on addresses taken from the payload, against exact arithmetic. */
    private static void checkRanges(MemRegion r, byte[] p) {
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.nativeOrder());
        long tail = p.length >= 16 ? b.getLong(p.length - 16) : 0, tail2 = p.length >= 8 ? b.getLong(p.length - 8) : 0;
        long[] users = {r.userAddress(), r.userAddress() - 1, r.userAddress() + r.size() - 1, r.userAddress() + r.size(), tail};
        long[] lengths = {0, 1, r.size(), r.size() - 1, -1, Long.MAX_VALUE, tail2};
        for (long user : users) {
            for (long length : lengths) {
                BigInteger u = unsigned(user), start = unsigned(r.userAddress()), end = start.add(unsigned(r.size()));
                boolean inside = length >= 0 && u.compareTo(start) >= 0 && u.compareTo(end) < 0
                        && u.add(BigInteger.valueOf(length)).compareTo(end) <= 0;
                assertEquals(inside, r.containsUser(user, length), () -> String.format("%s contains 0x%x+0x%x", r, user, length));
            }
        }
    }
}
