package vmd.vionet;

import java.nio.ByteBuffer;

/** Ethernet/IPv4/UDP helpers for the few frames vionet looks into or builds itself. */
public final class Frames {
    private Frames() {}

    public static final int ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_ARP = 0x0806;
    public static final int IPPROTO_ICMP = 1, IPPROTO_UDP = 17;

    /** The one's-complement sum of {@code len} bytes of {@code b} from {@code off}, added to {@code sum}. */
    public static long sum(byte[] b, int off, int len, long sum) {
        int i = off;
        for (; i + 1 < off + len; i += 2) sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        if (i < off + len) sum += (b[i] & 0xff) << 8;
        return sum;
    }

    public static int fold(long sum) {
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    public static int u32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    public static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    public static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /**
     * Whether the frame at {@code off} in {@code buf} ({@code len} bytes) is IPv4/UDP to
     * port {@code port}: the cheap test the transmit path runs before copying a frame out.
     */
    public static boolean isUdpTo(ByteBuffer buf, int off, int len, int port) {
        if (len < VirtioNet.ETH_HLEN + 20 + 8) return false;
        if ((buf.get(off + 12) & 0xff) != 0x08 || buf.get(off + 13) != 0) return false;
        int ip = off + VirtioNet.ETH_HLEN;
        int vihl = buf.get(ip) & 0xff;
        if ((vihl >>> 4) != 4) return false;
        int ihl = (vihl & 15) * 4;
        if (ihl < 20 || VirtioNet.ETH_HLEN + ihl + 8 > len) return false;
        if ((buf.get(ip + 9) & 0xff) != IPPROTO_UDP) return false;
        int dport = ((buf.get(ip + ihl + 2) & 0xff) << 8) | (buf.get(ip + ihl + 3) & 0xff);
        return dport == port;
    }

    public static String ipv4(int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
    }

    /** Parses a dotted quad; throws IllegalArgumentException. */
    public static int parseIpv4(String s) {
        String[] p = s.split("\\.", -1);
        if (p.length != 4) throw new IllegalArgumentException("not an IPv4 address: " + s);
        int a = 0;
        for (String x : p) {
            int v;
            try {
                v = Integer.parseInt(x);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + s);
            }
            if (v < 0 || v > 255 || x.isEmpty() || x.length() > 3) throw new IllegalArgumentException("not an IPv4 address: " + s);
            a = (a << 8) | v;
        }
        return a;
    }
}
