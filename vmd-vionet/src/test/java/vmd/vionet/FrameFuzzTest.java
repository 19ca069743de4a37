package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vionet.DhcpResponderTest.HOST;
import static vmd.vionet.DhcpResponderTest.HOST_MAC;
import static vmd.vionet.DhcpResponderTest.MAC;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import vmd.virtio.DescriptorChain;
import vmd.virtio.VirtioFeatures;

/**
 * Coverage-guided (Jazzer) transmit path: whatever chain the guest hands over (any
 * virtio-net header, gso and csum fields included, any frame, cut into any buffers) is
 * dropped and counted as malformed or filtered, answered by vionet itself (DHCP, router
 * solicitations: the reply is the one the responder gives for the same frame), or reaches
 * the tap byte for byte; never an exception, and only a header the negotiated features
 * allow and, under {@code locked lladdr}, only the VM's own source address reach the tap.
 * The classification helpers (MAC filter, the UDP and solicitation peeks) agree with a
 * plain model on any bytes at any offset. Seeds and past findings:
 * src/test/resources/vmd/vionet/FrameFuzzTestInputs.
 */
class FrameFuzzTest {
    static final long V1 = VirtioFeatures.bit(VirtioFeatures.VERSION_1), MRG = VirtioNet.bit(VirtioNet.F_MRG_RXBUF),
            CSUM = VirtioNet.bit(VirtioNet.F_CSUM), TSO4 = VirtioNet.bit(VirtioNet.F_HOST_TSO4),
            TSO6 = VirtioNet.bit(VirtioNet.F_HOST_TSO6), ECN = VirtioNet.bit(VirtioNet.F_HOST_ECN);
    /**
     * The first input byte picks one: header sizes 12 and 10, with and without offloads, vnet-header tap or not, locked or
     * not; only features the device offers for its tap (the back-end refuses others).
     */
    private static final FuzzTxDevice[] DEVICES = {
        new FuzzTxDevice("fz0", V1 | MRG | CSUM | TSO4 | TSO6 | ECN, true, true),
        new FuzzTxDevice("fz1", V1, true, false),
        new FuzzTxDevice("fz2", 0, true, true),
        new FuzzTxDevice("fz3", MRG | CSUM | TSO4, true, false),
        new FuzzTxDevice("fz4", V1 | MRG, false, false),
        new FuzzTxDevice("fz5", 0, false, true),
    };
    private static final GuestChains CHAINS = new GuestChains();
    /** The same services as the devices', asked directly: what the device injects must be what they answer. */
    private static final DhcpResponder DHCP = new DhcpResponder(MAC, HOST_MAC, DhcpResponderTest.GUEST, HOST, "web");
    private static final RouterAdvertiser RA = FuzzTxDevice.router();

    /**
     * Input: a byte choosing the device, a byte choosing how the chain is cut into
     * buffers, then the virtio-net header and the frame as the guest writes them.
     */
    @FuzzTest
    void transmit(byte[] data) {
        if (data.length < 2 || data.length - 2 > GuestChains.MAX_BYTES / 2) return;
        FuzzTxDevice d = DEVICES[(data[0] & 0xff) % DEVICES.length];
        byte[] chainBytes = Arrays.copyOfRange(data, 2, data.length);
        int h = d.dev.headerLength();
        int[] writable = (data[1] & 0x80) != 0 ? new int[] {64} : new int[0]; // a transmit chain with a writable tail
        DescriptorChain chain = CHAINS.chain(cut(chainBytes, data[1] & 0x7f, h), writable, (byte) 0);
        if (chain == null) return;
        NetCounters c = d.dev.counters();
        long frames = c.txFrames.get(), malformed = c.txMalformed.get(), filtered = c.txFiltered.get(), errors = c.txErrors.get(),
                dhcp = c.dhcpReplies.get(), ra = c.raReplies.get();
        assertEquals(0, d.path.transmit(chain), "a transmit chain is given back with nothing written");
        assertEquals(errors, c.txErrors.get(), "transmit threw, or the fake tap refused a frame: " + c);
        byte[] wire = d.tapReceived();
        assertNull(d.tapReceived(), "one chain, at most one frame");
        long sent = c.txFrames.get() - frames, bad = c.txMalformed.get() - malformed, refused = c.txFiltered.get() - filtered;
        assertTrue(sent + bad + refused <= 1, "one chain, one outcome: " + c);
        assertEquals(sent == 1, wire != null, "counted as sent exactly when the tap got it");
        byte[] frame = chainBytes.length >= h ? Arrays.copyOfRange(chainBytes, h, chainBytes.length) : new byte[0];
        if (wire != null) {
            byte[] asSent = chainBytes.clone();
            asSent[VirtioNet.HDR_FLAGS] &= VirtioNet.KNOWN_TX_FLAGS; // flags vionet does not know are ignored, and cleared
            assertArrayEquals(d.vnetHdr ? asSent : frame, wire, "the tap gets the chain as it is" + (d.vnetHdr ? "" : ", header stripped"));
            assertTrue(frame.length >= VirtioNet.ETH_HLEN && frame.length <= d.dev.maxTxFrame(), "a frame of " + frame.length + " bytes sent");
            if (d.vnetHdr) assertHeaderAllowed(wire, d.dev.negotiated());
            else if (h == VirtioNet.HDR_LEN) assertHeaderAllowed(asSent, d.dev.negotiated());
            if (d.locked) assertArrayEquals(MAC, Arrays.copyOfRange(frame, 6, 12), "locked lladdr: only our own source address");
            assertFalse(looksLikeDhcpRequest(frame) || looksLikeSolicitation(frame), "a frame for vionet itself reached the tap");
        }
        List<byte[]> injected = new ArrayList<>();
        for (byte[] f; (f = d.dev.pollInjected()) != null; ) injected.add(f);
        assertEquals(c.dhcpReplies.get() - dhcp + c.raReplies.get() - ra, injected.size(), "every reply counted");
        if (sent + bad + refused + injected.size() == 0 && wire == null) {
            assertTrue(looksLikeDhcpRequest(frame) || looksLikeSolicitation(frame), "a frame vanished that is not for vionet");
        }
        byte[] dhcpReply = looksLikeDhcpRequest(frame) ? DHCP.respond(head(frame, 2048), Math.min(frame.length, 2048)) : null;
        byte[] raReply = looksLikeSolicitation(frame) ? RA.respond(head(frame, 1024), Math.min(frame.length, 1024)) : null;
        if (sent + bad + refused == 0 && wire == null) {
            byte[] expected = dhcpReply != null ? dhcpReply : raReply;
            if (expected == null) assertEquals(0, injected.size(), "a reply the responder would not give");
            else assertArrayEquals(expected, injected.get(0), "the reply differs from the responder's to the same frame");
        } else {
            assertEquals(0, injected.size(), "a reply to a frame that was not for vionet");
        }
        for (byte[] r : injected) {
            if (Frames.u16(r, 12) == Frames.ETHERTYPE_IPV4) ReplyChecks.dhcp(r, MAC, HOST_MAC, HOST);
            else ReplyChecks.advertisement(r, HOST_MAC, FuzzTxDevice.MTU, RA.prefix());
        }
    }

    private static byte[] head(byte[] f, int max) {
        return f.length <= max ? f : Arrays.copyOf(f, max);
    }

    /**
     * The buffers {@code b} is cut into: {@code how}'s low bits give the count (1-4), the
     * next bits where (evenly; the header alone first; tiny buffers first; one ending at the
     * Ethernet header), bit 6 cuts the first 40 bytes into single bytes.
     */
    static List<byte[]> cut(byte[] b, int how, int h) {
        int n = 1 + (how & 3), len = b.length;
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int k = 1; k < n; k++) {
            switch ((how >> 2) & 3) {
                case 0 -> cuts.add(len * k / n);
                case 1 -> cuts.add(k == 1 ? h : h + (len - h) * (k - 1) / (n - 1));
                case 2 -> cuts.add(k);
                default -> cuts.add(k == 1 ? h + VirtioNet.ETH_HLEN : len - k + 1);
            }
        }
        if ((how & 0x40) != 0) for (int i = 1; i < 40; i++) cuts.add(i);
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int at : cuts) {
            if (at <= from || at >= len) continue;
            pieces.add(Arrays.copyOfRange(b, from, at));
            from = at;
        }
        pieces.add(Arrays.copyOfRange(b, from, len));
        return pieces;
    }

    /** virtio 1.2 5.1.6.2: only known flags, and GSO only as negotiated, reach a tap that takes the header. */
    private static void assertHeaderAllowed(byte[] hdr, long f) {
        int flags = hdr[0] & 0xff, gso = hdr[1] & 0xff, type = gso & 0x7f;
        int gsoSize = (hdr[4] & 0xff) | (hdr[5] & 0xff) << 8;
        assertEquals(0, flags & ~(VirtioNet.HDR_F_NEEDS_CSUM | VirtioNet.HDR_F_DATA_VALID), "unknown header flags reached the tap");
        if ((flags & VirtioNet.HDR_F_NEEDS_CSUM) != 0) assertTrue((f & CSUM) != 0, "NEEDS_CSUM without CSUM");
        assertTrue(type == VirtioNet.GSO_NONE || type == VirtioNet.GSO_TCPV4 && (f & TSO4) != 0
                || type == VirtioNet.GSO_TCPV6 && (f & TSO6) != 0, "GSO type " + gso + " with features 0x" + Long.toHexString(f));
        if ((gso & VirtioNet.GSO_ECN) != 0) assertTrue(type != VirtioNet.GSO_NONE && (f & ECN) != 0, "ECN");
        if (type != VirtioNet.GSO_NONE) assertTrue(gsoSize > 0 && (flags & VirtioNet.HDR_F_NEEDS_CSUM) != 0, "GSO without size or csum");
    }

    /** IPv4/UDP to the DHCP server port: a frame vionet keeps for itself. */
    static boolean looksLikeDhcpRequest(byte[] f) {
        if (f.length < 14 + 20 + 8 || Frames.u16(f, 12) != 0x0800 || (f[14] >> 4 & 15) != 4 || f[14 + 9] != 17) return false;
        int ihl = (f[14] & 15) * 4;
        return ihl >= 20 && 14 + ihl + 8 <= f.length && Frames.u16(f, 14 + ihl + 2) == DhcpResponder.SERVER_PORT;
    }

    /** IPv6 carrying ICMPv6 type 133 right after its header. */
    static boolean looksLikeSolicitation(byte[] f) {
        return f.length >= 14 + 40 + 8 && Frames.u16(f, 12) == 0x86dd && f[14 + 6] == 58 && (f[14 + 40] & 0xff) == 133;
    }

    private static final MacFilter OPEN = new MacFilter(MAC, false), LOCKED = new MacFilter(MAC, true);

    /** Any bytes at any offset of a heap or direct buffer ending with them: the classifiers agree with the models above. */
    @FuzzTest
    void classify(FuzzedDataProvider in) {
        boolean locked = in.consumeBoolean();
        int off = in.consumeInt(0, 16);
        int port = in.consumeBoolean() ? DhcpResponder.SERVER_PORT : in.consumeInt(0, 0xffff);
        boolean direct = in.consumeBoolean();
        byte[] f = in.consumeRemainingAsBytes();
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(off + f.length) : ByteBuffer.allocate(off + f.length);
        b.put(off, f).position(b.capacity() / 2); // the helpers read absolutely: the position must not matter
        MacFilter filter = locked ? LOCKED : OPEN;
        boolean ethernet = f.length >= VirtioNet.ETH_HLEN;
        assertEquals(ethernet && (!locked || Arrays.equals(f, 6, 12, MAC, 0, 6)), filter.allowOutgoing(b, off, f.length), "outgoing");
        assertEquals(ethernet && (!locked || (f[0] & 1) != 0 || Arrays.equals(f, 0, 6, MAC, 0, 6)), filter.allowIncoming(b, off, f.length),
                "incoming");
        boolean udp = f.length >= 42 && Frames.u16(f, 12) == 0x0800 && (f[14] >> 4 & 15) == 4 && f[23] == 17 && (f[14] & 15) >= 5
                && 14 + (f[14] & 15) * 4 + 8 <= f.length && Frames.u16(f, 14 + (f[14] & 15) * 4 + 2) == port;
        assertEquals(udp, Frames.isUdpTo(b, off, f.length, port), "UDP to " + port);
        assertEquals(looksLikeSolicitation(f), RouterAdvertiser.isSolicitation(b, off, f.length), "solicitation");
    }
}
