package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The local interface's DHCP server: OpenBSD dhcp.c's answers, and nothing for anything else. */
class DhcpResponderTest {
    static final byte[] MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final byte[] HOST_MAC = {(byte) 0xfe, (byte) 0xe1, (byte) 0xba, 0, 0, 1};
    static final int GUEST = Frames.parseIpv4("100.64.1.3"), HOST = Frames.parseIpv4("100.64.1.2");
    final DhcpResponder dhcp = new DhcpResponder(MAC, HOST_MAC, GUEST, HOST, "web");

    /** A client request as udhcpc sends it (broadcast, options after the cookie). */
    static byte[] request(byte[] mac, int type, int requested, int ciaddr, int xid, boolean broadcastFlag) {
        byte[] opts = new byte[64];
        int o = 0;
        Frames.put32(opts, o, DhcpResponder.MAGIC);
        o += 4;
        if (type != 0) {
            opts[o++] = 53;
            opts[o++] = 1;
            opts[o++] = (byte) type;
        }
        if (requested != 0) {
            opts[o++] = 50;
            opts[o++] = 4;
            Frames.put32(opts, o, requested);
            o += 4;
        }
        opts[o++] = 0; // a pad
        opts[o++] = (byte) 255;
        int bootp = DhcpResponder.B_OPTIONS + o;
        int udpLen = 8 + bootp, ipLen = 20 + udpLen;
        byte[] f = new byte[14 + ipLen];
        Arrays.fill(f, 0, 6, (byte) 0xff);
        System.arraycopy(mac, 0, f, 6, 6);
        Frames.put16(f, 12, 0x0800);
        f[14] = 0x45;
        Frames.put16(f, 16, ipLen);
        f[22] = 64;
        f[23] = 17;
        Frames.put32(f, 26, ciaddr);
        Frames.put32(f, 30, -1);
        Frames.put16(f, 24, Frames.fold(Frames.sum(f, 14, 20, 0)));
        Frames.put16(f, 34, 68);
        Frames.put16(f, 36, 67);
        Frames.put16(f, 38, udpLen);
        int b = 42;
        f[b] = 1;
        f[b + 1] = 1;
        f[b + 2] = 6;
        Frames.put32(f, b + 4, xid);
        if (broadcastFlag) Frames.put16(f, b + 10, 0x8000);
        Frames.put32(f, b + 12, ciaddr);
        System.arraycopy(mac, 0, f, b + 28, 6);
        System.arraycopy(opts, 0, f, b + DhcpResponder.B_OPTIONS, o);
        return f;
    }

    /** The reply's options as code -> value. */
    static java.util.Map<Integer, byte[]> options(byte[] r) {
        java.util.Map<Integer, byte[]> m = new java.util.HashMap<>();
        int o = 42 + DhcpResponder.B_OPTIONS;
        assertEquals(DhcpResponder.MAGIC, Frames.u32(r, o));
        o += 4;
        while ((r[o] & 0xff) != 255) {
            int code = r[o] & 0xff, len = r[o + 1] & 0xff;
            m.put(code, Arrays.copyOfRange(r, o + 2, o + 2 + len));
            o += 2 + len;
        }
        return m;
    }

    static void assertChecksumsValid(byte[] r) {
        assertEquals(0, Frames.fold(Frames.sum(r, 14, 20, 0)), "IP header checksum");
        int udpLen = Frames.u16(r, 38);
        long pseudo = (Frames.u16(r, 26) + Frames.u16(r, 28) + Frames.u16(r, 30) + Frames.u16(r, 32)) + 17 + udpLen;
        assertEquals(0, Frames.fold(Frames.sum(r, 34, udpLen, pseudo)), "UDP checksum");
    }

    @Test
    void discoverGetsAnOfferOfTheOddAddress() {
        byte[] r = dhcp.respond(request(MAC, DhcpResponder.DISCOVER, 0, 0, 0x1234abcd, false), 1000);
        assertNotNull(r);
        assertArrayEquals(MAC, Arrays.copyOfRange(r, 0, 6), "unicast to the guest");
        assertArrayEquals(HOST_MAC, Arrays.copyOfRange(r, 6, 12));
        assertEquals(HOST, Frames.u32(r, 26), "from the host side");
        assertEquals(GUEST, Frames.u32(r, 30));
        assertEquals(67, Frames.u16(r, 34));
        assertEquals(68, Frames.u16(r, 36));
        assertEquals(2, r[42], "BOOTREPLY");
        assertEquals(0x1234abcd, Frames.u32(r, 42 + 4), "xid");
        assertEquals(GUEST, Frames.u32(r, 42 + 16), "yiaddr");
        assertEquals(HOST, Frames.u32(r, 42 + 20), "siaddr");
        assertArrayEquals(MAC, Arrays.copyOfRange(r, 42 + 28, 42 + 34), "chaddr");
        var o = options(r);
        assertEquals(DhcpResponder.OFFER, o.get(53)[0]);
        assertEquals(HOST, Frames.u32(o.get(54), 0), "server id");
        assertEquals(0xfffffffe, Frames.u32(o.get(1), 0), "/31");
        assertEquals(HOST, Frames.u32(o.get(3), 0), "router");
        assertEquals(HOST, Frames.u32(o.get(6), 0), "DNS");
        assertEquals("web", new String(o.get(12)), "host name");
        assertEquals(0xffffffff, Frames.u32(o.get(51), 0), "lease");
        assertTrue(r.length - 42 >= 300, "at least BOOTP_MIN_LEN");
        assertChecksumsValid(r);
    }

    @Test
    void requestForOurAddressIsAckedAndAnotherNaked() {
        byte[] ack = dhcp.respond(request(MAC, DhcpResponder.REQUEST, GUEST, 0, 7, false), 1000);
        assertEquals(DhcpResponder.ACK, options(ack).get(53)[0]);
        byte[] noAddr = dhcp.respond(request(MAC, DhcpResponder.REQUEST, 0, 0, 7, false), 1000);
        assertEquals(DhcpResponder.ACK, options(noAddr).get(53)[0], "no requested address: ACK (OpenBSD)");
        byte[] renew = dhcp.respond(request(MAC, DhcpResponder.REQUEST, 0, GUEST, 7, false), 1000);
        assertEquals(DhcpResponder.ACK, options(renew).get(53)[0], "a renewal from the right address");
        byte[] nak = dhcp.respond(request(MAC, DhcpResponder.REQUEST, Frames.parseIpv4("10.0.0.5"), 0, 7, false), 1000);
        var o = options(nak);
        assertEquals(DhcpResponder.NAK, o.get(53)[0]);
        assertNull(o.get(3), "a NAK carries no configuration");
        assertEquals(0, Frames.u32(nak, 42 + 16), "no yiaddr in a NAK");
        assertEquals(-1, Frames.u32(nak, 30), "NAK is broadcast");
        assertChecksumsValid(nak);
    }

    @Test
    void broadcastFlagIsHonoured() {
        byte[] r = dhcp.respond(request(MAC, DhcpResponder.DISCOVER, 0, 0, 1, true), 1000);
        assertEquals(-1, Frames.u32(r, 30));
        for (int i = 0; i < 6; i++) assertEquals((byte) 0xff, r[i]);
    }

    @Test
    void bootpGetsAReplyWithoutDhcpOptions() {
        byte[] r = dhcp.respond(request(MAC, 0, 0, 0, 1, false), 1000);
        assertNotNull(r);
        assertNull(options(r).get(53));
        assertEquals(GUEST, Frames.u32(r, 42 + 16));
    }

    @Test
    void othersGetNothing() {
        byte[] other = {2, 0, 0, 0, 0, 9};
        assertNull(dhcp.respond(request(other, DhcpResponder.DISCOVER, 0, 0, 1, false), 1000), "another station");
        byte[] f = request(MAC, DhcpResponder.DISCOVER, 0, 0, 1, false);
        f[42 + 28] ^= 1; // chaddr differs from the source
        assertNull(dhcp.respond(f, f.length));
        f = request(MAC, DhcpResponder.DISCOVER, 0, 0, 1, false);
        f[42] = 2; // a reply
        assertNull(dhcp.respond(f, f.length));
        f = request(MAC, DhcpResponder.RELEASE, 0, 0, 1, false);
        assertNull(dhcp.respond(f, f.length), "RELEASE needs no answer");
        f = request(MAC, DhcpResponder.DISCOVER, 0, 0, 1, false);
        assertNull(dhcp.respond(f, 100), "truncated");
        assertFalse(DhcpResponder.validHostname("bad_name"));
        assertNull(options(new DhcpResponder(MAC, HOST_MAC, GUEST, HOST, "bad_name")
                .respond(request(MAC, DhcpResponder.DISCOVER, 0, 0, 1, false), 1000)).get(12), "no invalid host name");
    }

    @Test
    void randomBytesNeverThrow() {
        Random rnd = new Random(42);
        byte[] good = request(MAC, DhcpResponder.DISCOVER, 0, 0, 1, false);
        for (int i = 0; i < 20000; i++) {
            byte[] f = rnd.nextBoolean() ? good.clone() : new byte[rnd.nextInt(600)];
            if (f != good) {
                int flips = 1 + rnd.nextInt(8);
                for (int k = 0; k < flips && f.length > 0; k++) f[rnd.nextInt(f.length)] = (byte) rnd.nextInt();
            }
            dhcp.respond(f, rnd.nextInt(f.length + 10));
        }
    }
}
