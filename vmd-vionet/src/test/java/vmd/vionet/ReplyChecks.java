package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Well-formedness of the frames vionet makes itself (DHCP replies, router advertisements),
 * checked field by field for the fuzz targets. The checksums are recomputed here with
 * their own arithmetic, so an error in {@link Frames#sum} cannot hide itself.
 */
final class ReplyChecks {
    private ReplyChecks() {}

    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    /** A DHCP/BOOTP reply as the guest would read it. */
    record DhcpReply(byte[] dstMac, int dstIp, int xid, int flags, int ciaddr, int yiaddr, int siaddr, Map<Integer, byte[]> options) {
        /** The DHCP message type, 0 for a plain BOOTREPLY. */
        int type() {
            byte[] t = options.get(DhcpResponder.OPT_MESSAGE_TYPE);
            return t == null ? 0 : t[0] & 0xff;
        }

        int u32(int option) {
            byte[] v = options.get(option);
            assertNotNull(v, "option " + option);
            assertEquals(4, v.length, "option " + option + " length");
            return Frames.u32(v, 0);
        }
    }

    /** The 16-bit one's-complement sum of {@code b[off, off+len)} added to {@code sum}, not yet complemented. */
    private static int onesSum(byte[] b, int off, int len, int sum) {
        for (int i = 0; i < len; i++) {
            int v = b[off + i] & 0xff;
            sum += (i & 1) == 0 ? v << 8 : v;
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum;
    }

    private static int u16(int a) {
        return (a >>> 16) + (a & 0xffff);
    }

    /** Checks {@code r} is an Ethernet/IPv4/UDP/BOOTP reply from the host side to our guest; returns its fields. */
    static DhcpReply dhcp(byte[] r, byte[] guestMac, byte[] hostMac, int hostAddr) {
        assertTrue(r.length <= VirtioNet.MAX_FRAME, "reply of " + r.length + " bytes exceeds the frame limit");
        assertTrue(r.length >= 14 + 20 + 8 + DhcpResponder.BOOTP_MIN_LEN, "reply shorter than a BOOTP message: " + r.length);
        byte[] dst = Arrays.copyOfRange(r, 0, 6);
        assertTrue(Arrays.equals(dst, guestMac) || Arrays.equals(dst, BROADCAST), "Ethernet destination");
        assertArrayEquals(hostMac, Arrays.copyOfRange(r, 6, 12), "Ethernet source");
        assertEquals(0x0800, Frames.u16(r, 12), "ethertype");
        int ip = 14;
        assertEquals(0x45, r[ip] & 0xff, "IPv4 without options");
        assertEquals(r.length - ip, Frames.u16(r, ip + 2), "IP total length");
        assertEquals(0, Frames.u16(r, ip + 6) & 0x3fff, "not a fragment");
        assertTrue((r[ip + 8] & 0xff) > 0, "TTL");
        assertEquals(17, r[ip + 9] & 0xff, "UDP");
        assertEquals(0xffff, onesSum(r, ip, 20, 0), "IP header checksum");
        assertEquals(hostAddr, Frames.u32(r, ip + 12), "IP source");
        int dstIp = Frames.u32(r, ip + 16);
        assertEquals(Arrays.equals(dst, BROADCAST), dstIp == -1, "broadcast at both layers or neither");
        int udp = ip + 20, udpLen = Frames.u16(r, udp + 4);
        assertEquals(DhcpResponder.SERVER_PORT, Frames.u16(r, udp));
        assertEquals(DhcpResponder.CLIENT_PORT, Frames.u16(r, udp + 2));
        assertEquals(r.length - udp, udpLen, "UDP length");
        int pseudo = u16(hostAddr) + u16(dstIp) + 17 + udpLen;
        pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
        assertNotEquals(0, Frames.u16(r, udp + 6), "a UDP checksum is sent");
        assertEquals(0xffff, onesSum(r, udp, udpLen, pseudo), "UDP checksum");
        int b = udp + 8;
        assertEquals(DhcpResponder.BOOTREPLY, r[b] & 0xff, "op");
        assertEquals(1, r[b + 1], "htype");
        assertEquals(6, r[b + 2], "hlen");
        assertArrayEquals(guestMac, Arrays.copyOfRange(r, b + DhcpResponder.B_CHADDR, b + DhcpResponder.B_CHADDR + 6), "chaddr");
        return new DhcpReply(dst, dstIp, Frames.u32(r, b + 4), Frames.u16(r, b + 10), Frames.u32(r, b + 12), Frames.u32(r, b + 16),
                Frames.u32(r, b + 20), options(r, b + DhcpResponder.B_OPTIONS, r.length));
    }

    /** The options after the cookie: each inside the message, each once, an END before the message ends. */
    private static Map<Integer, byte[]> options(byte[] r, int o, int end) {
        assertEquals(DhcpResponder.MAGIC, Frames.u32(r, o), "magic cookie");
        Map<Integer, byte[]> m = new HashMap<>();
        for (o += 4; ; ) {
            assertTrue(o < end, "options not terminated by END");
            int code = r[o] & 0xff;
            if (code == DhcpResponder.OPT_END) return m;
            if (code == DhcpResponder.OPT_PAD) {
                o++;
                continue;
            }
            assertTrue(o + 2 <= end && o + 2 + (r[o + 1] & 0xff) <= end, "option " + code + " runs past the message");
            int len = r[o + 1] & 0xff;
            assertNull(m.put(code, Arrays.copyOfRange(r, o + 2, o + 2 + len)), "option " + code + " twice");
            o += 2 + len;
        }
    }

    /** Checks {@code f} is the advertisement of the host side ({@code hostMac}, {@code mtu}, the /96 {@code prefix}) to all nodes. */
    static void advertisement(byte[] f, byte[] hostMac, int mtu, byte[] prefix) {
        assertTrue(f.length <= VirtioNet.MAX_FRAME, "advertisement exceeds the frame limit");
        assertArrayEquals(new byte[] {0x33, 0x33, 0, 0, 0, 1}, Arrays.copyOfRange(f, 0, 6), "to all nodes' MAC");
        assertArrayEquals(hostMac, Arrays.copyOfRange(f, 6, 12), "Ethernet source");
        assertEquals(RouterAdvertiser.ETHERTYPE_IPV6, Frames.u16(f, 12));
        int ip = 14, icmp = ip + 40;
        assertEquals(6, (f[ip] & 0xff) >>> 4, "IPv6");
        int plen = Frames.u16(f, ip + 4);
        assertEquals(f.length - icmp, plen, "payload length");
        assertEquals(RouterAdvertiser.IPPROTO_ICMPV6, f[ip + 6] & 0xff, "next header");
        assertEquals(255, f[ip + 7] & 0xff, "hop limit of neighbour discovery");
        assertArrayEquals(RouterAdvertiser.linkLocal(hostMac), Arrays.copyOfRange(f, ip + 8, ip + 24), "source: the tap's link-local");
        assertArrayEquals(RouterAdvertiser.ALL_NODES, Arrays.copyOfRange(f, ip + 24, ip + 40), "to ff02::1");
        assertEquals(0xffff, icmp6Sum(f, ip, icmp, plen), "ICMPv6 checksum");
        assertEquals(RouterAdvertiser.ADVERTISEMENT, f[icmp] & 0xff);
        assertEquals(0, f[icmp + 1], "code");
        assertTrue(plen >= 16, "RA of " + plen + " bytes");
        assertTrue(Frames.u16(f, icmp + 6) > 0, "a default router");
        boolean lladdr = false, mtuSeen = false, prefixSeen = false;
        for (int o = icmp + 16; o < f.length; ) {
            assertTrue(o + 2 <= f.length, "option header past the end");
            int type = f[o] & 0xff, len = (f[o + 1] & 0xff) * 8;
            assertTrue(len > 0 && o + len <= f.length, "option " + type + " of " + len + " bytes");
            switch (type) {
                case RouterAdvertiser.OPT_SOURCE_LLADDR -> {
                    assertArrayEquals(hostMac, Arrays.copyOfRange(f, o + 2, o + 8));
                    lladdr = true;
                }
                case RouterAdvertiser.OPT_MTU -> {
                    assertEquals(mtu, Frames.u32(f, o + 4));
                    mtuSeen = true;
                }
                case RouterAdvertiser.OPT_PREFIX -> {
                    assertEquals(32, len);
                    assertEquals(96, f[o + 2] & 0xff, "prefix length");
                    assertTrue((f[o + 3] & 0x80) != 0, "on-link");
                    assertArrayEquals(prefix, Arrays.copyOfRange(f, o + 16, o + 32));
                    prefixSeen = true;
                }
                default -> fail("unexpected RA option " + type);
            }
            o += len;
        }
        assertTrue(lladdr && mtuSeen && prefixSeen, "source lladdr, MTU and prefix options");
    }

    /** The ICMPv6 sum over the pseudo-header and {@code len} bytes at {@code icmp}: 0xffff if the checksum is right. */
    static int icmp6Sum(byte[] f, int ip, int icmp, int len) {
        int s = onesSum(f, ip + 8, 32, 0); // source and destination
        s += u16(len) + RouterAdvertiser.IPPROTO_ICMPV6;
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return onesSum(f, icmp, len, s);
    }
}
