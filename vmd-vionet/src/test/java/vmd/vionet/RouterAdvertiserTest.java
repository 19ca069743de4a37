package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** local inet6's router: a well-formed advertisement for a valid solicitation from our guest, nothing else. */
class RouterAdvertiserTest {
    static final byte[] MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final byte[] HOST_MAC = {(byte) 0xfe, (byte) 0xe1, (byte) 0xba, 0, 0, 1};
    static final byte[] HOST6 = bytes("fd00::6440:103:0:1");
    long now = 1_000_000_000L;
    final RouterAdvertiser ra = new RouterAdvertiser(MAC, HOST_MAC, HOST6, 1500, () -> now);

    static byte[] bytes(String a) {
        try {
            return InetAddress.getByName(a).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A solicitation as Linux sends it: from its link-local address to ff02::2, with its lladdr option. */
    static byte[] solicitation(byte[] src) {
        byte[] f = new byte[14 + 40 + 16];
        f[0] = 0x33;
        f[1] = 0x33;
        f[5] = 2;
        System.arraycopy(MAC, 0, f, 6, 6);
        Frames.put16(f, 12, 0x86dd);
        f[14] = 0x60;
        Frames.put16(f, 18, 16);
        f[20] = 58;
        f[21] = (byte) 255;
        System.arraycopy(src, 0, f, 22, 16);
        System.arraycopy(RouterAdvertiser.ALL_ROUTERS, 0, f, 38, 16);
        f[54] = (byte) 133;
        if (!Arrays.equals(src, new byte[16])) {
            f[62] = 1;
            f[63] = 1;
            System.arraycopy(MAC, 0, f, 64, 6);
        } else {
            f[62] = 14; // an unknown option instead: still 16 bytes
            f[63] = 1;
        }
        Frames.put16(f, 56, RouterAdvertiser.checksum(f, 22, 38, 54, 16));
        return f;
    }

    static byte[] linux() {
        return solicitation(bytes("fe80::5054:ff:fe12:3456"));
    }

    @Test
    void answersWithAWellFormedAdvertisement() {
        byte[] rs = linux();
        assertTrue(RouterAdvertiser.isSolicitation(ByteBuffer.wrap(rs), 0, rs.length));
        byte[] f = ra.respond(rs, rs.length);
        assertNotNull(f);
        assertArrayEquals(new byte[] {0x33, 0x33, 0, 0, 0, 1}, Arrays.copyOfRange(f, 0, 6));
        assertArrayEquals(HOST_MAC, Arrays.copyOfRange(f, 6, 12));
        assertEquals(0x86dd, Frames.u16(f, 12));
        assertEquals(0x60, f[14] & 0xf0);
        int plen = Frames.u16(f, 18);
        assertEquals(f.length - 54, plen);
        assertEquals(58, f[20]);
        assertEquals(255, f[21] & 0xff);
        assertArrayEquals(bytes("fe80::fce1:baff:fe00:1"), Arrays.copyOfRange(f, 22, 38), "the tap's EUI-64 link-local");
        assertArrayEquals(bytes("ff02::1"), Arrays.copyOfRange(f, 38, 54));
        assertEquals(134, f[54] & 0xff);
        assertEquals(0, f[55]);
        assertEquals(0, RouterAdvertiser.checksum(f, 22, 38, 54, plen), "the ICMPv6 checksum verifies");
        assertEquals(64, f[58]);
        assertEquals(0, f[59], "no DHCPv6 (M, O clear)");
        assertEquals(1800, Frames.u16(f, 60), "a default router");
        // Options: source lladdr, MTU, prefix.
        int o = 70;
        assertEquals(1, f[o]);
        assertArrayEquals(HOST_MAC, Arrays.copyOfRange(f, o + 2, o + 8));
        o += 8;
        assertEquals(5, f[o]);
        assertEquals(1500, Frames.u32(f, o + 4));
        o += 8;
        assertEquals(3, f[o]);
        assertEquals(4, f[o + 1]);
        assertEquals(96, f[o + 2]);
        assertEquals((byte) 0x80, f[o + 3], "on-link, not autonomous");
        assertEquals(-1, Frames.u32(f, o + 4));
        assertArrayEquals(bytes("fd00::6440:103:0:0"), Arrays.copyOfRange(f, o + 16, o + 32));
        assertEquals(f.length, o + 32);
    }

    @Test
    void answersTheUnspecifiedSourceAndRateLimits() {
        byte[] rs = solicitation(new byte[16]);
        assertNotNull(ra.respond(rs, rs.length));
        now += 1_000_000_000L;
        assertNull(ra.respond(linux(), 70), "at most one per 3 s");
        now += 2_000_000_000L;
        assertNotNull(ra.respond(linux(), 70));
    }

    @Test
    void ignoresWhatIsNotAValidSolicitationFromOurGuest() {
        byte[] good = linux();
        assertNull(ra.respond(good, good.length - 1), "truncated");
        byte[] other = good.clone();
        other[11] = 0x57;
        assertNull(ra.respond(other, other.length), "another MAC");
        byte[] hop = good.clone();
        hop[21] = 64;
        assertNull(ra.respond(hop, hop.length), "hop limit below 255: not from this link");
        byte[] sum = good.clone();
        sum[57] ^= 1;
        assertNull(ra.respond(sum, sum.length), "bad checksum");
        byte[] code = good.clone();
        code[55] = 1;
        Frames.put16(code, 56, 0);
        Frames.put16(code, 56, RouterAdvertiser.checksum(code, 22, 38, 54, 16));
        assertNull(ra.respond(code, code.length), "code 1");
        byte[] zeroOpt = good.clone();
        zeroOpt[63] = 0;
        Frames.put16(zeroOpt, 56, 0);
        Frames.put16(zeroOpt, 56, RouterAdvertiser.checksum(zeroOpt, 22, 38, 54, 16));
        assertNull(ra.respond(zeroOpt, zeroOpt.length), "a zero-length option");
        byte[] lie = good.clone();
        Frames.put16(lie, 18, 4000);
        assertNull(ra.respond(lie, lie.length), "payload length past the frame");
        byte[] unspecifiedWithLladdr = solicitation(new byte[16]);
        unspecifiedWithLladdr[62] = 1;
        Frames.put16(unspecifiedWithLladdr, 56, 0);
        Frames.put16(unspecifiedWithLladdr, 56, RouterAdvertiser.checksum(unspecifiedWithLladdr, 22, 38, 54, 16));
        assertNull(ra.respond(unspecifiedWithLladdr, unspecifiedWithLladdr.length), "lladdr option from ::");
        assertNotNull(ra.respond(good, good.length), "and nothing above used up the rate limit");
    }

    @Test
    void randomFramesNeverThrow() {
        Random r = new Random(6);
        byte[] good = linux();
        for (int i = 0; i < 20_000; i++) {
            byte[] f = good.clone();
            for (int k = r.nextInt(4); k >= 0; k--) f[r.nextInt(f.length)] = (byte) r.nextInt(256);
            int len = r.nextInt(f.length + 1);
            RouterAdvertiser.isSolicitation(ByteBuffer.wrap(f), 0, len);
            ra.respond(f, len);
            byte[] junk = new byte[r.nextInt(200)];
            r.nextBytes(junk);
            ra.respond(junk, junk.length);
        }
    }
}
