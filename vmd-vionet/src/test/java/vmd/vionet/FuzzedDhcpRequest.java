package vmd.vionet;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A well-formed DHCP/BOOTP request from our guest, every field the server must not care
 * about taken from the fuzzer: the frame's addressing, IP options, flags, sname and file,
 * client options in any order with pads, option overload, the END option or none,
 * padding after END and after the IP packet. What the server must answer follows from
 * {@link #kind} alone.
 */
record FuzzedDhcpRequest(Kind kind, byte[] frame, int xid, boolean broadcast, int ciaddr, int requested) {
    enum Kind { DISCOVER, SELECTING, INIT_REBOOT, RENEWING, OTHER_ADDRESS, INFORM, BOOTP, RELEASE }

    static FuzzedDhcpRequest from(FuzzedDataProvider in, byte[] mac, byte[] serverMac, int guest, int server) {
        Kind kind = Kind.values()[in.consumeInt(0, Kind.values().length - 1)];
        int xid = in.consumeInt();
        boolean broadcast = in.consumeBoolean();
        int ciaddr = switch (kind) {
            case RENEWING -> guest;
            case INFORM, OTHER_ADDRESS -> in.consumeInt();
            case RELEASE -> in.consumeBoolean() ? guest : in.consumeInt();
            default -> 0;
        };
        int requested = switch (kind) {
            case SELECTING, INIT_REBOOT -> guest;
            case OTHER_ADDRESS -> in.consumeInt();
            case DISCOVER -> in.consumeBoolean() ? in.consumeInt() : 0; // a DISCOVER may ask for an address; the offer is still ours
            default -> 0;
        };

        // The options field: cookie, then the options in a fuzzed order, pads between them.
        boolean cookie = kind != Kind.BOOTP || in.consumeBoolean();
        List<byte[]> opts = new ArrayList<>();
        int type = switch (kind) {
            case DISCOVER -> DhcpResponder.DISCOVER;
            case INFORM -> DhcpResponder.INFORM;
            case RELEASE -> DhcpResponder.RELEASE;
            case BOOTP -> 0;
            default -> DhcpResponder.REQUEST;
        };
        if (type != 0) opts.add(new byte[] {DhcpResponder.OPT_MESSAGE_TYPE, 1, (byte) type});
        if (requested != 0) opts.add(addressOption(DhcpResponder.OPT_REQUESTED_ADDRESS, requested));
        if (kind == Kind.SELECTING || kind == Kind.RELEASE) opts.add(addressOption(DhcpResponder.OPT_SERVER_ID, server));
        boolean overload = false;
        for (int i = 0, n = in.consumeInt(0, 8); i < n; i++) {
            int code = in.pickValue(new int[] {12, 55, 57, 60, 61, 81, 116, 52, 1 + in.consumeInt(0, 253)});
            if (code == DhcpResponder.OPT_MESSAGE_TYPE || code == DhcpResponder.OPT_REQUESTED_ADDRESS) code = 43; // those decide the answer
            byte[] value = in.consumeBytes(code == 52 ? 1 : code == 57 ? 2 : in.consumeInt(0, 64));
            if (code == 52 && value.length == 1) overload = true;
            byte[] o = new byte[2 + value.length];
            o[0] = (byte) code;
            o[1] = (byte) value.length;
            System.arraycopy(value, 0, o, 2, value.length);
            opts.add(in.consumeInt(0, opts.size()), o); // anywhere, before the message type too
        }
        ByteArrayOutputStream options = new ByteArrayOutputStream();
        if (cookie) {
            byte[] magic = new byte[4];
            Frames.put32(magic, 0, DhcpResponder.MAGIC);
            options.writeBytes(magic);
            for (byte[] o : opts) {
                for (int p = in.consumeInt(0, 2); p > 0; p--) options.write(DhcpResponder.OPT_PAD);
                options.writeBytes(o);
            }
            if (in.consumeBoolean() || in.consumeBoolean()) { // mostly terminated, as clients do
                options.write(DhcpResponder.OPT_END);
                // after END: zeros to BOOTP's 64-byte vendor area (dhclient), or anything
                options.writeBytes(in.consumeBoolean() ? new byte[Math.max(0, 64 - options.size())] : in.consumeBytes(in.consumeInt(0, 64)));
            } else {
                options.writeBytes(new byte[in.consumeInt(0, 16)]); // no END: the options run to the end, pads only
            }
        } else {
            options.writeBytes(in.consumeBytes(64)); // RFC 951's vendor area: anything but the cookie
            byte[] v = options.toByteArray();
            if (v.length >= 4 && Frames.u32(v, 0) == DhcpResponder.MAGIC) v[0] ^= 1;
            options.reset();
            options.writeBytes(v);
        }
        byte[] sname = overload ? Arrays.copyOf(in.consumeBytes(64), 64) : new byte[64];
        byte[] file = overload ? Arrays.copyOf(in.consumeBytes(128), 128) : new byte[128];

        byte[] ipOptions = new byte[4 * in.consumeInt(0, 10)];
        byte[] fill = in.consumeBytes(ipOptions.length);
        System.arraycopy(fill, 0, ipOptions, 0, fill.length);
        int bootpLen = DhcpResponder.B_OPTIONS + options.size();
        int udpLen = 8 + bootpLen, ipLen = 20 + ipOptions.length + udpLen;
        int trailer = in.consumeInt(0, 32);
        byte[] f = new byte[14 + ipLen + trailer]; // under 1000 bytes: every part above is bounded
        System.arraycopy(in.consumeBoolean() ? ReplyChecks.BROADCAST : serverMac, 0, f, 0, 6);
        System.arraycopy(mac, 0, f, 6, 6);
        Frames.put16(f, 12, Frames.ETHERTYPE_IPV4);
        int ip = 14;
        f[ip] = (byte) (0x40 | (5 + ipOptions.length / 4));
        f[ip + 1] = in.consumeByte();
        Frames.put16(f, ip + 2, ipLen);
        Frames.put16(f, ip + 4, in.consumeInt(0, 0xffff));
        Frames.put16(f, ip + 6, in.consumeBoolean() ? 0x4000 : 0); // DF is no fragment
        f[ip + 8] = (byte) in.consumeInt(1, 255);
        f[ip + 9] = (byte) Frames.IPPROTO_UDP;
        int srcIp = kind == Kind.RENEWING || kind == Kind.INFORM || kind == Kind.RELEASE ? ciaddr : 0;
        int dstIp = in.consumeBoolean() ? -1 : server;
        Frames.put32(f, ip + 12, srcIp);
        Frames.put32(f, ip + 16, dstIp);
        System.arraycopy(ipOptions, 0, f, ip + 20, ipOptions.length);
        int ihl = 20 + ipOptions.length;
        Frames.put16(f, ip + 10, Frames.fold(Frames.sum(f, ip, ihl, 0)));
        int udp = ip + ihl;
        Frames.put16(f, udp, DhcpResponder.CLIENT_PORT);
        Frames.put16(f, udp + 2, DhcpResponder.SERVER_PORT);
        Frames.put16(f, udp + 4, udpLen);
        int b = udp + 8;
        f[b] = DhcpResponder.BOOTREQUEST;
        f[b + 1] = 1;
        f[b + 2] = 6;
        Frames.put32(f, b + 4, xid);
        Frames.put16(f, b + 8, in.consumeInt(0, 0xffff)); // secs
        Frames.put16(f, b + 10, (broadcast ? 0x8000 : 0) | in.consumeInt(0, 0x7fff)); // flags: the MBZ bits ignored
        Frames.put32(f, b + 12, ciaddr);
        System.arraycopy(mac, 0, f, b + DhcpResponder.B_CHADDR, 6);
        System.arraycopy(sname, 0, f, b + DhcpResponder.B_SNAME, 64);
        System.arraycopy(file, 0, f, b + DhcpResponder.B_FILE, 128);
        System.arraycopy(options.toByteArray(), 0, f, b + DhcpResponder.B_OPTIONS, options.size());
        if (in.consumeBoolean()) {
            long pseudo = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + Frames.IPPROTO_UDP + udpLen;
            int c = Frames.fold(Frames.sum(f, udp, udpLen, pseudo));
            Frames.put16(f, udp + 6, c == 0 ? 0xffff : c);
        }
        byte[] pad = in.consumeBytes(f.length - 14 - ipLen); // Ethernet padding after the IP packet
        System.arraycopy(pad, 0, f, 14 + ipLen, pad.length);
        return new FuzzedDhcpRequest(kind, f, xid, broadcast, ciaddr, requested);
    }

    private static byte[] addressOption(int code, int addr) {
        byte[] o = {(byte) code, 4, 0, 0, 0, 0};
        Frames.put32(o, 2, addr);
        return o;
    }
}
