package vmd.vionet;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The DHCP server of a {@code local interface} (OpenBSD vmd's dhcp.c): it answers only
 * its own guest (source MAC and chaddr must be the VM's), always with the same /31
 * address: DISCOVER gets an OFFER, REQUEST for that address (or none) an ACK, REQUEST
 * for another address a NAK. The router and DNS server are the host side; the VM name is
 * the host name; the lease never ends, as the address never changes. Plain BOOTP
 * requests get a BOOTREPLY. Anything else is not DHCP for us: null.
 */
public final class DhcpResponder {
    public static final int SERVER_PORT = 67, CLIENT_PORT = 68;
    static final int BOOTREQUEST = 1, BOOTREPLY = 2;
    public static final int DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7, INFORM = 8;
    static final int OPT_PAD = 0, OPT_SUBNET_MASK = 1, OPT_ROUTERS = 3, OPT_DNS = 6, OPT_HOST_NAME = 12,
            OPT_REQUESTED_ADDRESS = 50, OPT_LEASE_TIME = 51, OPT_MESSAGE_TYPE = 53, OPT_SERVER_ID = 54, OPT_END = 255;
    static final int MAGIC = 0x63825363;
    /** Offsets in the BOOTP message. */
    static final int B_OP = 0, B_HTYPE = 1, B_HLEN = 2, B_HOPS = 3, B_XID = 4, B_SECS = 8, B_FLAGS = 10, B_CIADDR = 12,
            B_YIADDR = 16, B_SIADDR = 20, B_GIADDR = 24, B_CHADDR = 28, B_SNAME = 44, B_FILE = 108, B_OPTIONS = 236;
    static final int BOOTP_MIN_LEN = 300;

    private final byte[] guestMac;
    private final byte[] hostMac;
    private final int guestAddr;
    private final int hostAddr;
    private final byte[] hostname;

    /** A parsed request, for tests and logs. */
    public record Request(int messageType, int xid, int ciaddr, int requested, boolean broadcast) {}

    public DhcpResponder(byte[] guestMac, byte[] hostMac, int guestAddr, int hostAddr, String hostname) {
        this.guestMac = guestMac.clone();
        this.hostMac = hostMac.clone();
        this.guestAddr = guestAddr;
        this.hostAddr = hostAddr;
        this.hostname = hostname != null && validHostname(hostname) ? hostname.getBytes(StandardCharsets.US_ASCII) : null;
    }

    /** res_hnok(3): labels of letters, digits and inner hyphens, separated by dots. */
    static boolean validHostname(String h) {
        if (h.isEmpty() || h.length() > 63) return false;
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty() || label.startsWith("-") || label.endsWith("-")) return false;
            for (char c : label.toCharArray()) {
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) return false;
            }
        }
        return true;
    }

    /**
     * Parses a frame from the guest as a DHCP/BOOTP request to us, or returns null. Bounds
     * are checked everywhere; a hostile frame only ever yields null.
     */
    public Request parse(byte[] f, int len) {
        len = Math.min(len, f.length);
        if (len < VirtioNet.ETH_HLEN + 20 + 8 + B_OPTIONS) return null;
        if (!isBroadcast(f, 0) && !Arrays.equals(f, 0, 6, hostMac, 0, 6)) return null;
        if (!Arrays.equals(f, 6, 12, guestMac, 0, 6)) return null;
        if (Frames.u16(f, 12) != Frames.ETHERTYPE_IPV4) return null;
        int ip = VirtioNet.ETH_HLEN;
        if ((f[ip] & 0xf0) != 0x40) return null;
        int ihl = (f[ip] & 15) * 4;
        int total = Frames.u16(f, ip + 2);
        if (ihl < 20 || total < ihl + 8 || ip + total > len) return null;
        if ((Frames.u16(f, ip + 6) & 0x3fff) != 0) return null; // fragments
        if ((f[ip + 9] & 0xff) != Frames.IPPROTO_UDP) return null;
        int udp = ip + ihl;
        if (Frames.u16(f, udp) != CLIENT_PORT || Frames.u16(f, udp + 2) != SERVER_PORT) return null;
        int udpLen = Frames.u16(f, udp + 4);
        if (udpLen < 8 + B_OPTIONS || udp + udpLen > ip + total) return null;
        int b = udp + 8;
        int end = udp + udpLen;
        if ((f[b + B_OP] & 0xff) != BOOTREQUEST || (f[b + B_HTYPE] & 0xff) != 1 || (f[b + B_HLEN] & 0xff) != 6) return null;
        if (!Arrays.equals(f, b + B_CHADDR, b + B_CHADDR + 6, guestMac, 0, 6)) return null;
        if (f[b + B_HOPS] != 0) return null;
        int type = 0, requested = 0;
        int o = b + B_OPTIONS;
        if (o + 4 <= end && Frames.u32(f, o) == MAGIC) {
            o += 4;
            while (o < end) {
                int code = f[o] & 0xff;
                if (code == OPT_END) break;
                if (code == OPT_PAD) {
                    o++;
                    continue;
                }
                if (o + 2 > end) break;
                int l = f[o + 1] & 0xff;
                if (o + 2 + l > end) break;
                if (code == OPT_MESSAGE_TYPE && l == 1) type = f[o + 2] & 0xff;
                else if (code == OPT_REQUESTED_ADDRESS && l == 4) requested = Frames.u32(f, o + 2);
                o += 2 + l;
            }
        }
        return new Request(type, Frames.u32(f, b + B_XID), Frames.u32(f, b + B_CIADDR), requested,
                (Frames.u16(f, b + B_FLAGS) & 0x8000) != 0);
    }

    private static boolean isBroadcast(byte[] f, int off) {
        for (int i = 0; i < 6; i++) if (f[off + i] != (byte) 0xff) return false;
        return true;
    }

    /** The reply frame to a guest frame, or null if it is not a request we answer. */
    public byte[] respond(byte[] frame, int len) {
        Request r = parse(frame, len);
        if (r == null) return null;
        int reply;
        switch (r.messageType()) {
            case 0 -> reply = 0; // BOOTP
            case DISCOVER -> reply = OFFER;
            case REQUEST -> {
                int asked = r.requested() != 0 ? r.requested() : r.ciaddr();
                reply = asked == 0 || asked == guestAddr ? ACK : NAK;
            }
            case INFORM -> reply = ACK;
            default -> {
                return null; // DECLINE, RELEASE: nothing to say
            }
        }
        return build(r, reply);
    }

    byte[] build(Request r, int reply) {
        byte[] opts = new byte[312];
        int o = 0;
        Frames.put32(opts, o, MAGIC);
        o += 4;
        if (reply != 0) {
            opts[o++] = (byte) OPT_MESSAGE_TYPE;
            opts[o++] = 1;
            opts[o++] = (byte) reply;
            opts[o++] = (byte) OPT_SERVER_ID;
            opts[o++] = 4;
            Frames.put32(opts, o, hostAddr);
            o += 4;
        }
        if (reply != NAK) {
            if (reply != 0 && r.messageType() != INFORM) {
                opts[o++] = (byte) OPT_LEASE_TIME;
                opts[o++] = 4;
                Frames.put32(opts, o, 0xffffffff); // the address never changes: an infinite lease
                o += 4;
            }
            opts[o++] = (byte) OPT_SUBNET_MASK;
            opts[o++] = 4;
            Frames.put32(opts, o, 0xfffffffe);
            o += 4;
            opts[o++] = (byte) OPT_ROUTERS;
            opts[o++] = 4;
            Frames.put32(opts, o, hostAddr);
            o += 4;
            opts[o++] = (byte) OPT_DNS;
            opts[o++] = 4;
            Frames.put32(opts, o, hostAddr);
            o += 4;
            if (hostname != null) {
                opts[o++] = (byte) OPT_HOST_NAME;
                opts[o++] = (byte) hostname.length;
                System.arraycopy(hostname, 0, opts, o, hostname.length);
                o += hostname.length;
            }
        }
        opts[o++] = (byte) OPT_END;
        int bootpLen = Math.max(BOOTP_MIN_LEN, B_OPTIONS + o);
        int udpLen = 8 + bootpLen;
        int ipLen = 20 + udpLen;
        byte[] f = new byte[VirtioNet.ETH_HLEN + ipLen];
        boolean nak = reply == NAK;
        boolean bcast = r.broadcast() || nak;
        // Ethernet: to the guest (broadcast if it asked), from the host side.
        if (bcast) Arrays.fill(f, 0, 6, (byte) 0xff);
        else System.arraycopy(guestMac, 0, f, 0, 6);
        System.arraycopy(hostMac, 0, f, 6, 6);
        Frames.put16(f, 12, Frames.ETHERTYPE_IPV4);
        int ip = VirtioNet.ETH_HLEN;
        f[ip] = 0x45;
        Frames.put16(f, ip + 2, ipLen);
        f[ip + 8] = 64;
        f[ip + 9] = (byte) Frames.IPPROTO_UDP;
        Frames.put32(f, ip + 12, hostAddr);
        int dst = bcast ? 0xffffffff : guestAddr;
        Frames.put32(f, ip + 16, dst);
        Frames.put16(f, ip + 10, Frames.fold(Frames.sum(f, ip, 20, 0)));
        int udp = ip + 20;
        Frames.put16(f, udp, SERVER_PORT);
        Frames.put16(f, udp + 2, CLIENT_PORT);
        Frames.put16(f, udp + 4, udpLen);
        int b = udp + 8;
        f[b + B_OP] = BOOTREPLY;
        f[b + B_HTYPE] = 1;
        f[b + B_HLEN] = 6;
        Frames.put32(f, b + B_XID, r.xid());
        if (r.broadcast()) Frames.put16(f, b + B_FLAGS, 0x8000);
        if (!nak) {
            if (r.messageType() == INFORM) Frames.put32(f, b + B_CIADDR, r.ciaddr());
            else Frames.put32(f, b + B_YIADDR, guestAddr);
            Frames.put32(f, b + B_SIADDR, hostAddr);
        }
        System.arraycopy(guestMac, 0, f, b + B_CHADDR, 6);
        System.arraycopy(opts, 0, f, b + B_OPTIONS, o);
        // UDP checksum over the pseudo-header.
        long sum = 0;
        sum += (hostAddr >>> 16) + (hostAddr & 0xffff) + (dst >>> 16) + (dst & 0xffff) + Frames.IPPROTO_UDP + udpLen;
        int c = Frames.fold(Frames.sum(f, udp, udpLen, sum));
        Frames.put16(f, udp + 6, c == 0 ? 0xffff : c);
        return f;
    }

    public int guestAddress() {
        return guestAddr;
    }

    public int hostAddress() {
        return hostAddr;
    }
}
