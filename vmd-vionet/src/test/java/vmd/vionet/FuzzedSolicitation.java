package vmd.vionet;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * An ICMPv6 frame from our guest built from fuzzer data: a router solicitation valid by
 * RFC 4861 6.1.1 (any multicast or the router's MAC as destination, any source the guest
 * may use, fuzzed traffic class, flow label, reserved field and options, Ethernet padding),
 * then, unless {@link Defect#NONE}, one defect that makes it one the router must ignore,
 * among them the other neighbour discovery messages (NS, NA, redirect, RA) and echo.
 */
record FuzzedSolicitation(byte[] frame, Defect defect) {
    enum Defect {
        NONE, HOP_LIMIT, CODE, CHECKSUM, TRUNCATED, PAYLOAD_PAST_FRAME, SHORT_PAYLOAD, ZERO_LENGTH_OPTION, OPTION_PAST_END,
        PARTIAL_OPTION, LLADDR_FROM_UNSPECIFIED, OTHER_SOURCE_MAC, OTHER_UNICAST_MAC, NEXT_HEADER, ETHERTYPE, VERSION, OTHER_DESTINATION,
        OTHER_TYPE
    }

    static final int IP = 14, ICMP = IP + 40;
    /** Types the router must not answer: echo request and reply, RA, NS, NA, redirect, MLD. */
    static final int[] OTHER_TYPES = {128, 129, 130, 134, 135, 136, 137, 143};

    static FuzzedSolicitation from(FuzzedDataProvider in, byte[] mac, byte[] routerMac) {
        Defect defect = in.consumeBoolean() ? Defect.NONE : Defect.values()[in.consumeInt(1, Defect.values().length - 1)];
        byte[] src = switch (in.consumeInt(0, 3)) {
            case 0 -> RouterAdvertiser.linkLocal(mac);
            case 1 -> new byte[16];
            case 2 -> {
                byte[] a = RouterAdvertiser.linkLocal(mac);
                byte[] iid = in.consumeBytes(8);
                System.arraycopy(iid, 0, a, 8, iid.length);
                yield a;
            }
            default -> {
                byte[] a = Arrays.copyOf(in.consumeBytes(16), 16);
                if (a[0] == (byte) 0xff) a[0] = (byte) 0xfd; // a multicast source is no source (RFC 4291 2.7)
                yield a;
            }
        };
        if (defect == Defect.LLADDR_FROM_UNSPECIFIED) src = new byte[16];
        boolean unspecified = Arrays.equals(src, new byte[16]);
        byte[] dst = in.consumeBoolean() ? RouterAdvertiser.ALL_ROUTERS : RouterAdvertiser.linkLocal(routerMac);

        ByteArrayOutputStream opts = new ByteArrayOutputStream();
        if (!unspecified && in.consumeBoolean()) opts.writeBytes(new byte[] {1, 1, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]});
        for (int i = 0, n = in.consumeInt(0, 3); i < n; i++) {
            int type = in.consumeInt(2, 255); // any but source lladdr, which only a specified source may carry
            int units = in.consumeInt(1, 4);
            byte[] o = Arrays.copyOf(in.consumeBytes(8 * units), 8 * units);
            o[0] = (byte) type;
            o[1] = (byte) units;
            opts.writeBytes(o);
        }
        switch (defect) {
            case ZERO_LENGTH_OPTION -> opts.writeBytes(new byte[] {(byte) in.consumeInt(0, 255), 0, 0, 0, 0, 0, 0, 0});
            case OPTION_PAST_END -> opts.writeBytes(new byte[] {(byte) in.consumeInt(2, 255), (byte) in.consumeInt(2, 255), 0, 0, 0, 0, 0, 0});
            case PARTIAL_OPTION -> opts.writeBytes(new byte[in.consumeInt(1, 7)]);
            case LLADDR_FROM_UNSPECIFIED -> opts.writeBytes(new byte[] {1, 1, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]});
            default -> {}
        }
        int plen = 8 + opts.size();
        int padding = in.consumeInt(0, 24);
        byte[] f = new byte[ICMP + plen + padding];
        switch (in.consumeInt(0, 2)) {
            case 0 -> System.arraycopy(new byte[] {0x33, 0x33, 0, 0, 0, 2}, 0, f, 0, 6);
            case 1 -> System.arraycopy(routerMac, 0, f, 0, 6);
            default -> {
                byte[] group = Arrays.copyOf(in.consumeBytes(6), 6);
                group[0] |= 1;
                System.arraycopy(group, 0, f, 0, 6);
            }
        }
        System.arraycopy(mac, 0, f, 6, 6);
        Frames.put16(f, 12, RouterAdvertiser.ETHERTYPE_IPV6);
        Frames.put32(f, IP, 0x60000000 | in.consumeInt(0, 0x0fffffff)); // traffic class and flow label: anything
        Frames.put16(f, IP + 4, plen);
        f[IP + 6] = (byte) RouterAdvertiser.IPPROTO_ICMPV6;
        f[IP + 7] = (byte) 255;
        System.arraycopy(src, 0, f, IP + 8, 16);
        System.arraycopy(dst, 0, f, IP + 24, 16);
        f[ICMP] = (byte) RouterAdvertiser.SOLICITATION;
        Frames.put32(f, ICMP + 4, in.consumeInt()); // reserved: ignored by receivers
        System.arraycopy(opts.toByteArray(), 0, f, ICMP + 8, opts.size());
        byte[] pad = in.consumeBytes(padding);
        System.arraycopy(pad, 0, f, ICMP + plen, pad.length);

        switch (defect) {
            case HOP_LIMIT -> f[IP + 7] = (byte) in.consumeInt(0, 254);
            case CODE -> f[ICMP + 1] = (byte) in.consumeInt(1, 255);
            case OTHER_TYPE -> f[ICMP] = (byte) (in.consumeBoolean() ? in.pickValue(OTHER_TYPES) : skip(in.consumeInt(0, 254), 133));
            case NEXT_HEADER -> f[IP + 6] = (byte) skip(in.consumeInt(0, 254), RouterAdvertiser.IPPROTO_ICMPV6);
            case ETHERTYPE -> Frames.put16(f, 12, skip(in.consumeInt(0, 0xfffe), RouterAdvertiser.ETHERTYPE_IPV6));
            case VERSION -> f[IP] = (byte) (skip(in.consumeInt(0, 14), 6) << 4);
            case OTHER_SOURCE_MAC -> f[6 + in.consumeInt(0, 5)] ^= (byte) in.consumeInt(1, 255);
            case OTHER_UNICAST_MAC -> {
                byte[] other = Arrays.copyOf(in.consumeBytes(6), 6);
                other[0] &= (byte) 0xfe;
                if (Arrays.equals(other, routerMac)) other[5] ^= 1;
                System.arraycopy(other, 0, f, 0, 6);
            }
            case OTHER_DESTINATION -> {
                byte[] other = in.consumeBoolean() ? RouterAdvertiser.ALL_NODES : Arrays.copyOf(in.consumeBytes(16), 16);
                if (Arrays.equals(other, RouterAdvertiser.ALL_ROUTERS) || Arrays.equals(other, RouterAdvertiser.linkLocal(routerMac))) other[15] ^= 4;
                System.arraycopy(other, 0, f, IP + 24, 16);
            }
            default -> {}
        }
        Frames.put16(f, ICMP + 2, checksum(f, plen));
        switch (defect) {
            case CHECKSUM -> f[ICMP + 2 + in.consumeInt(0, 1)] ^= (byte) in.consumeInt(1, 255);
            case PAYLOAD_PAST_FRAME -> Frames.put16(f, IP + 4, plen + padding + in.consumeInt(1, 0xffff - plen - padding));
            case SHORT_PAYLOAD -> Frames.put16(f, IP + 4, in.consumeInt(0, 7));
            case TRUNCATED -> f = Arrays.copyOf(f, ICMP + plen - in.consumeInt(1, plen));
            default -> {}
        }
        return new FuzzedSolicitation(f, defect);
    }

    /** {@code v} in a range one wider than it, {@code not} left out. */
    private static int skip(int v, int not) {
        return v >= not ? v + 1 : v;
    }

    /** The ICMPv6 checksum for the message of {@code plen} bytes, its checksum field zero. */
    static int checksum(byte[] f, int plen) {
        Frames.put16(f, ICMP + 2, 0);
        return ~ReplyChecks.icmp6Sum(f, IP, ICMP, plen) & 0xffff;
    }
}
