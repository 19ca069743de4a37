package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vionet.RouterAdvertiserTest.HOST6;
import static vmd.vionet.RouterAdvertiserTest.HOST_MAC;
import static vmd.vionet.RouterAdvertiserTest.MAC;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Coverage-guided (Jazzer) IPv6 router of {@code local inet6}: any frame from the guest
 * (router and neighbour solicitations, other ICMPv6, anything) yields no answer or a
 * valid router advertisement (lengths, options, the ICMPv6 checksum recomputed here), and
 * only for a valid solicitation from our guest; a valid solicitation built from fuzzer
 * data is always answered, and one defect in it always silences the router. Seeds and
 * past findings: src/test/resources/vmd/vionet/RouterSolicitationFuzzTestInputs.
 */
class RouterSolicitationFuzzTest {
    static final int MTU = 1500;
    private static long now;
    /** Its clock moves 3 s at every look: the rate limit never hides an answer. */
    private static final RouterAdvertiser RA = new RouterAdvertiser(MAC, HOST_MAC, HOST6, MTU, () -> now += RouterAdvertiser.MIN_INTERVAL_NS);
    private static final byte[] PREFIX = RA.prefix();
    private static final int IP = FuzzedSolicitation.IP, ICMP = FuzzedSolicitation.ICMP;

    /** Any bytes as a frame from the guest (seeds: RS as Linux sends them, NS for DAD and resolution, NA, echo, MLD). */
    @FuzzTest
    void anyFrame(byte[] f) {
        boolean peeked = RouterAdvertiser.isSolicitation(ByteBuffer.wrap(f), 0, f.length);
        byte[] r = RA.respond(f, f.length);
        if (r == null) return;
        assertTrue(peeked, "answered a frame the transmit path does not hand over");
        assertValidSolicitation(f);
        ReplyChecks.advertisement(r, HOST_MAC, MTU, PREFIX);
    }

    /** A valid solicitation with fuzzed fields, or one with a single defect. */
    @FuzzTest
    void solicitation(FuzzedDataProvider in) {
        FuzzedSolicitation s = FuzzedSolicitation.from(in, MAC, HOST_MAC);
        byte[] f = s.frame();
        boolean peeked = RouterAdvertiser.isSolicitation(ByteBuffer.wrap(f), 0, f.length);
        byte[] r = RA.respond(f, f.length);
        switch (s.defect()) {
            case NONE -> {
                assertTrue(peeked, "a solicitation the transmit path does not hand over");
                assertNotNull(r, "a valid solicitation unanswered");
                ReplyChecks.advertisement(r, HOST_MAC, MTU, PREFIX);
            }
            case OTHER_TYPE, NEXT_HEADER, ETHERTYPE -> {
                assertFalse(peeked, "not a solicitation, yet taken for one: " + s.defect());
                assertNull(r);
            }
            default -> assertNull(r, "answered a solicitation with the defect " + s.defect());
        }
    }

    /** What RFC 4861 6.1.1 and vmd ask of a solicitation before it is answered. */
    private static void assertValidSolicitation(byte[] f) {
        assertArrayEquals(MAC, Arrays.copyOfRange(f, 6, 12), "from our guest");
        assertTrue((f[0] & 1) != 0 || Arrays.equals(HOST_MAC, Arrays.copyOfRange(f, 0, 6)), "to a group or the router");
        assertEquals(RouterAdvertiser.ETHERTYPE_IPV6, Frames.u16(f, 12));
        assertEquals(6, (f[IP] & 0xff) >>> 4);
        assertEquals(RouterAdvertiser.IPPROTO_ICMPV6, f[IP + 6] & 0xff);
        assertEquals(255, f[IP + 7] & 0xff, "hop limit 255: from this link");
        int plen = Frames.u16(f, IP + 4);
        assertTrue(plen >= 8 && ICMP + plen <= f.length, "ICMPv6 length " + plen + " in a frame of " + f.length);
        byte[] dst = Arrays.copyOfRange(f, IP + 24, IP + 40);
        assertTrue(Arrays.equals(dst, RouterAdvertiser.ALL_ROUTERS) || Arrays.equals(dst, RouterAdvertiser.linkLocal(HOST_MAC)), "destination");
        assertEquals(RouterAdvertiser.SOLICITATION, f[ICMP] & 0xff);
        assertEquals(0, f[ICMP + 1], "code");
        assertEquals(0xffff, ReplyChecks.icmp6Sum(f, IP, ICMP, plen), "ICMPv6 checksum");
        boolean unspecified = Arrays.equals(new byte[16], Arrays.copyOfRange(f, IP + 8, IP + 24));
        for (int o = ICMP + 8; o < ICMP + plen; ) {
            assertTrue(o + 2 <= ICMP + plen, "an option header cut off");
            int len = (f[o + 1] & 0xff) * 8;
            assertTrue(len > 0 && o + len <= ICMP + plen, "option of " + len + " bytes");
            assertFalse(unspecified && f[o] == RouterAdvertiser.OPT_SOURCE_LLADDR, "source lladdr from ::");
            o += len;
        }
    }
}
