package vmd.vionet;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The IPv6 router of a local interface under {@code local inet6}: it answers its own
 * guest's router solicitations (RFC 4861) with a router advertisement naming the host
 * side as default router and the interface's /96 as on-link. OpenBSD's vmd numbers each
 * interface with a /96, and SLAAC needs a /64, so the prefix carries only the on-link
 * flag: the guest takes the /96's address ::2 itself (vm.conf(5)), the route comes from
 * here. The source is the tap's EUI-64 link-local address, which the parent puts on the
 * tap, so the host kernel answers the guest's neighbor solicitations for it. At most one
 * advertisement per {@link #MIN_INTERVAL_NS} (RFC 4861's MIN_DELAY_BETWEEN_RAS).
 */
public final class RouterAdvertiser {
    public static final int ETHERTYPE_IPV6 = 0x86dd, IPPROTO_ICMPV6 = 58, SOLICITATION = 133, ADVERTISEMENT = 134;
    static final int IP6 = VirtioNet.ETH_HLEN, ICMP = IP6 + 40;
    static final int OPT_SOURCE_LLADDR = 1, OPT_PREFIX = 3, OPT_MTU = 5;
    static final long MIN_INTERVAL_NS = 3_000_000_000L;
    static final int ROUTER_LIFETIME = 1800, PREFIX_LENGTH = 96;
    static final byte[] ALL_NODES = {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static final byte[] ALL_ROUTERS = {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

    private final byte[] guestMac;
    private final byte[] hostMac;
    private final byte[] linkLocal;
    private final byte[] prefix;
    private final int mtu;
    private final LongSupplier clock;
    private long last;
    private boolean sent;

    public RouterAdvertiser(byte[] guestMac, byte[] hostMac, byte[] host6, int mtu) {
        this(guestMac, hostMac, host6, mtu, System::nanoTime);
    }

    RouterAdvertiser(byte[] guestMac, byte[] hostMac, byte[] host6, int mtu, LongSupplier clock) {
        if (guestMac.length != 6 || hostMac.length != 6 || host6.length != 16) throw new IllegalArgumentException("bad address length");
        this.guestMac = guestMac.clone();
        this.hostMac = hostMac.clone();
        this.linkLocal = linkLocal(hostMac);
        this.prefix = Arrays.copyOf(host6, 16);
        Arrays.fill(prefix, 12, 16, (byte) 0);
        this.mtu = mtu;
        this.clock = clock;
    }

    /** fe80::/64 with the modified EUI-64 identifier of {@code mac} (RFC 4291 appendix A). */
    static byte[] linkLocal(byte[] mac) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfe;
        a[1] = (byte) 0x80;
        a[8] = (byte) (mac[0] ^ 2);
        a[9] = mac[1];
        a[10] = mac[2];
        a[11] = (byte) 0xff;
        a[12] = (byte) 0xfe;
        a[13] = mac[3];
        a[14] = mac[4];
        a[15] = mac[5];
        return a;
    }

    /** The cheap test the transmit path runs on a peeked frame: IPv6, ICMPv6 right after the header, type 133. */
    public static boolean isSolicitation(ByteBuffer buf, int off, int len) {
        if (len < ICMP + 8) return false;
        if ((buf.get(off + 12) & 0xff) != 0x86 || (buf.get(off + 13) & 0xff) != 0xdd) return false;
        return (buf.get(off + IP6 + 6) & 0xff) == IPPROTO_ICMPV6 && (buf.get(off + ICMP) & 0xff) == SOLICITATION;
    }

    /**
     * Whether a frame from the guest is a valid router solicitation (RFC 4861 6.1.1) from
     * our guest. Every length is checked; hostile input only yields false.
     */
    boolean valid(byte[] f, int len) {
        len = Math.min(len, f.length);
        if (len < ICMP + 8) return false;
        if (!Arrays.equals(f, 6, 12, guestMac, 0, 6)) return false;
        boolean multicast = (f[0] & 1) != 0;
        if (!multicast && !Arrays.equals(f, 0, 6, hostMac, 0, 6)) return false;
        if (Frames.u16(f, 12) != ETHERTYPE_IPV6 || (f[IP6] & 0xf0) != 0x60) return false;
        int plen = Frames.u16(f, IP6 + 4);
        if ((f[IP6 + 6] & 0xff) != IPPROTO_ICMPV6 || (f[IP6 + 7] & 0xff) != 255) return false;
        if (plen < 8 || ICMP + plen > len) return false;
        if (!Arrays.equals(f, IP6 + 24, IP6 + 40, ALL_ROUTERS, 0, 16) && !Arrays.equals(f, IP6 + 24, IP6 + 40, linkLocal, 0, 16)) return false;
        if ((f[ICMP] & 0xff) != SOLICITATION || f[ICMP + 1] != 0) return false;
        if (checksum(f, IP6 + 8, IP6 + 24, ICMP, plen) != 0) return false;
        boolean unspecified = isZero(f, IP6 + 8, 16);
        for (int o = ICMP + 8; o < ICMP + plen; ) { // options: none of zero length, no source lladdr from ::
            if (o + 2 > ICMP + plen) return false;
            int l = (f[o + 1] & 0xff) * 8;
            if (l == 0 || o + l > ICMP + plen) return false;
            if ((f[o] & 0xff) == OPT_SOURCE_LLADDR && unspecified) return false;
            o += l;
        }
        return true;
    }

    /** The advertisement answering {@code frame}, or null if it is not a solicitation we answer now. */
    public synchronized byte[] respond(byte[] frame, int len) {
        if (!valid(frame, len)) return null;
        long now = clock.getAsLong();
        if (sent && now - last < MIN_INTERVAL_NS) return null;
        sent = true;
        last = now;
        return advertisement();
    }

    /** An advertisement nobody asked for: the periodic one that keeps the guest's default route alive. */
    public synchronized byte[] unsolicited() {
        sent = true;
        last = clock.getAsLong();
        return advertisement();
    }

    /** To all nodes (33:33:00:00:00:01, ff02::1) from the host side's link-local address. */
    byte[] advertisement() {
        int icmpLen = 16 + 8 + 8 + 32;
        byte[] f = new byte[ICMP + icmpLen];
        f[0] = 0x33;
        f[1] = 0x33;
        f[5] = 1;
        System.arraycopy(hostMac, 0, f, 6, 6);
        Frames.put16(f, 12, ETHERTYPE_IPV6);
        f[IP6] = 0x60;
        Frames.put16(f, IP6 + 4, icmpLen);
        f[IP6 + 6] = (byte) IPPROTO_ICMPV6;
        f[IP6 + 7] = (byte) 255; // the hop limit of neighbor discovery
        System.arraycopy(linkLocal, 0, f, IP6 + 8, 16);
        System.arraycopy(ALL_NODES, 0, f, IP6 + 24, 16);
        int o = ICMP;
        f[o] = (byte) ADVERTISEMENT;
        f[o + 4] = 64; // current hop limit; M and O flags clear: no DHCPv6
        Frames.put16(f, o + 6, ROUTER_LIFETIME);
        o += 16;
        f[o] = OPT_SOURCE_LLADDR;
        f[o + 1] = 1;
        System.arraycopy(hostMac, 0, f, o + 2, 6);
        o += 8;
        f[o] = OPT_MTU;
        f[o + 1] = 1;
        Frames.put32(f, o + 4, mtu);
        o += 8;
        f[o] = OPT_PREFIX;
        f[o + 1] = 4;
        f[o + 2] = PREFIX_LENGTH;
        f[o + 3] = (byte) 0x80; // on-link; not autonomous (a /96 cannot be SLAAC'd)
        Frames.put32(f, o + 4, -1); // valid and preferred lifetimes: infinite, as the host's address
        Frames.put32(f, o + 8, -1);
        System.arraycopy(prefix, 0, f, o + 16, 16);
        int c = checksum(f, IP6 + 8, IP6 + 24, ICMP, icmpLen);
        Frames.put16(f, ICMP + 2, c);
        return f;
    }

    /** The ICMPv6 checksum over the pseudo-header and message; 0 when verifying a correct one. */
    static int checksum(byte[] f, int src, int dst, int icmp, int len) {
        long sum = Frames.sum(f, src, 16, 0);
        sum = Frames.sum(f, dst, 16, sum);
        sum += len + IPPROTO_ICMPV6;
        return Frames.fold(Frames.sum(f, icmp, len, sum));
    }

    private static boolean isZero(byte[] f, int off, int len) {
        for (int i = off; i < off + len; i++) if (f[i] != 0) return false;
        return true;
    }

    /** The advertised /96, for logs. */
    public byte[] prefix() {
        return prefix.clone();
    }
}
