package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.tap.TapFd;
import vmd.vhostuser.EventNotifier;
import vmd.vhostuser.TestRing;
import vmd.vhostuser.Vring;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;

/**
 * The device's data path against a fake tap (a SOCK_SEQPACKET socket: one frame per
 * read and write, as a tap) and rings in test guest memory; then a fixed-seed fuzz of
 * both rings and of the frames the "host" sends.
 */
class NetDeviceTest {
    static final int RAM = 4 << 20;
    static final byte[] MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final byte[] OTHER = {0x52, 0x54, 0, 9, 9, 9};
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioNet.bit(VirtioNet.F_MRG_RXBUF)
            | VirtioNet.bit(VirtioNet.F_CSUM) | VirtioNet.bit(VirtioNet.F_GUEST_CSUM) | VirtioNet.bit(VirtioNet.F_MAC);
    static final int SIZE = 256;

    final GuestMemory mem = GuestMemory.create("net-test", List.of(new MemoryRegion(0, RAM, 0)));
    final int[] sock = UnixSockets.pair(UnixSockets.SOCK_SEQPACKET);
    final int rxKick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK), txKick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    final int rxCall = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK), txCall = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    TestRing rx = new TestRing(mem, SIZE, 0x1000, 0x2000, 0x3000);
    TestRing tx = new TestRing(mem, SIZE, 0x5000, 0x6000, 0x7000);
    NetDevice dev;

    NetDevice start(boolean locked, DhcpResponder dhcp, long features) throws Exception {
        Fds.setNonBlocking(sock[1], true); // the host side never blocks the test
        dev = new NetDevice("test", TapFd.forTesting(sock[0], "fake0", true), MAC, locked, dhcp);
        dev.setFeatures(features);
        startRings(features);
        return dev;
    }

    void startRings(long features) throws Exception {
        EventNotifier rc = new EventNotifier(), tc = new EventNotifier();
        rc.set(Fds.eventfd(Fds.EFD_CLOEXEC)); // the device owns its copies; ours stay for waiting
        tc.set(Fds.eventfd(Fds.EFD_CLOEXEC));
        dev.startQueue(new Vring(0, new VirtQueue(mem, SIZE, rx.desc, rx.avail, rx.used, features), rxKick, mem, features,
                callTo(rxCall), new EventNotifier()));
        dev.startQueue(new Vring(1, new VirtQueue(mem, SIZE, tx.desc, tx.avail, tx.used, features), txKick, mem, features,
                callTo(txCall), new EventNotifier()));
    }

    /** A notifier writing our eventfd through a dup the notifier owns. */
    static EventNotifier callTo(int fd) {
        EventNotifier n = new EventNotifier();
        n.set(vmd.sys.Native.posix().dup(fd));
        return n;
    }

    @AfterEach
    void tearDown() {
        if (dev != null) dev.close();
        for (int fd : new int[] {sock[0], sock[1], rxKick, txKick, rxCall, txCall}) Fds.closeQuietly(fd);
    }

    static byte[] ethernet(byte[] dst, byte[] src, int payload, int seed) {
        byte[] f = new byte[14 + payload];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        f[12] = 0x08;
        for (int i = 14; i < f.length; i++) f[i] = (byte) (i * 31 + seed);
        return f;
    }

    static byte[] withHeader(byte[] frame) {
        byte[] b = new byte[12 + frame.length];
        System.arraycopy(frame, 0, b, 12, frame.length);
        return b;
    }

    void guestSends(int head, byte[] hdrAndFrame) {
        long buf = 0x100000 + head * 0x10000L;
        mem.write(buf, hdrAndFrame);
        // header and frame in separate descriptors, as Linux does without ANY_LAYOUT tricks
        tx.desc(head, buf, 12, VirtQueue.DESC_F_NEXT, head + 1);
        tx.desc(head + 1, buf + 12, hdrAndFrame.length - 12, 0, 0);
        tx.publish(head);
        Fds.eventfdSignal(txKick);
    }

    void guestPostsRx(int head, int len) {
        rx.desc(head, 0x200000 + head * 0x8000L, len, VirtQueue.DESC_F_WRITE, 0);
        rx.publish(head);
        Fds.eventfdSignal(rxKick);
    }

    byte[] hostReceives(int millis) {
        if ((Fds.poll(sock[1], Fds.POLLIN, millis) & Fds.POLLIN) == 0) return null;
        ByteBuffer b = ByteBuffer.allocateDirect(70000);
        int n = Fds.read(sock[1], b);
        byte[] out = new byte[n];
        b.flip().get(out);
        return out;
    }

    void hostSends(byte[] hdrAndFrame) {
        ByteBuffer b = ByteBuffer.allocateDirect(hdrAndFrame.length);
        b.put(hdrAndFrame).flip();
        Fds.write(sock[1], b);
    }

    @Test
    void transmitReachesTheTapWithItsHeader() throws Exception {
        start(false, null, FEATURES);
        byte[] frame = ethernet(OTHER, MAC, 1000, 1);
        guestSends(0, withHeader(frame));
        byte[] got = hostReceives(2000);
        assertNotNull(got);
        assertArrayEquals(withHeader(frame), got);
        assertTrue(TestRing.eventually(2000, () -> tx.usedIdx() == 1));
        assertEquals(0, tx.usedLen(0));
        assertEquals(1, dev.counters().txFrames.get());
    }

    @Test
    void receiveMergesBuffersAndSetsNumBuffers() throws Exception {
        start(false, null, FEATURES);
        for (int i = 0; i < 4; i++) guestPostsRx(i, 1526);
        byte[] frame = ethernet(MAC, OTHER, 3000, 2);
        byte[] hdr = withHeader(frame);
        hostSends(hdr);
        assertTrue(TestRing.eventually(2000, () -> rx.usedIdx() == 2), "two buffers used: " + rx.usedIdx());
        int total = 0;
        byte[] back = new byte[hdr.length];
        for (int i = 0; i < 2; i++) {
            int id = rx.usedId(i), len = rx.usedLen(i);
            byte[] part = mem.read(0x200000 + id * 0x8000L, len);
            System.arraycopy(part, 0, back, total, len);
            total += len;
        }
        assertEquals(hdr.length, total);
        assertEquals(2, back[10], "num_buffers");
        back[10] = 0;
        assertArrayEquals(hdr, back);
        // a small frame then fits the remaining buffer
        byte[] small = withHeader(ethernet(MAC, OTHER, 100, 3));
        hostSends(small);
        assertTrue(TestRing.eventually(2000, () -> rx.usedIdx() == 3));
        assertEquals(small.length, rx.usedLen(2));
        assertTrue(TestRing.waitFor(rxCall, 1000), "the driver was interrupted");
    }

    @Test
    void lockedLladdrDropsSpoofedAndForeignFrames() throws Exception {
        start(true, null, FEATURES);
        guestSends(0, withHeader(ethernet(OTHER, OTHER, 100, 4)));
        guestSends(2, withHeader(ethernet(OTHER, MAC, 100, 5)));
        byte[] got = hostReceives(2000);
        assertNotNull(got);
        assertArrayEquals(MAC, Arrays.copyOfRange(got, 12 + 6, 12 + 12), "only the frame with our source went out");
        assertNull(hostReceives(200));
        assertEquals(1, dev.counters().txFiltered.get());
        guestPostsRx(0, 2048);
        hostSends(withHeader(ethernet(OTHER, OTHER, 100, 6)));
        hostSends(withHeader(ethernet(MAC, OTHER, 100, 7)));
        assertTrue(TestRing.eventually(2000, () -> rx.usedIdx() == 1));
        assertTrue(TestRing.eventually(2000, () -> dev.counters().rxFiltered.get() == 1));
        byte[] in = mem.read(0x200000 + rx.usedId(0) * 0x8000L, rx.usedLen(0));
        assertArrayEquals(MAC, Arrays.copyOfRange(in, 12, 18));
        byte[] untouched = mem.read(0x200000 + 12, 6);
        assertArrayEquals(MAC, untouched, "the foreign frame never reached guest memory");
    }

    @Test
    void oversizeAndRuntFramesAreDroppedAndCounted() throws Exception {
        start(false, null, FEATURES); // no HOST_TSO: at most 1518 bytes
        guestSends(0, withHeader(ethernet(OTHER, MAC, 3000, 8)));
        guestSends(2, new byte[12 + 5]);
        guestSends(4, withHeader(ethernet(OTHER, MAC, 60, 9)));
        assertNotNull(hostReceives(2000));
        assertNull(hostReceives(200));
        assertEquals(2, dev.counters().txMalformed.get());
        // Without GUEST_TSO the device holds buffers for 1518-byte frames; a longer one is dropped.
        guestPostsRx(0, 600);
        guestPostsRx(1, 1000);
        hostSends(withHeader(ethernet(MAC, OTHER, 3000, 10)));
        assertTrue(TestRing.eventually(2000, () -> dev.counters().rxOversize.get() == 1));
        hostSends(withHeader(ethernet(MAC, OTHER, 1000, 11)));
        assertTrue(TestRing.eventually(2000, () -> rx.usedIdx() == 2), "the held buffers take the next frame");
    }

    @Test
    void dhcpOnALocalInterfaceIsAnsweredInside() throws Exception {
        int guest = Frames.parseIpv4("100.64.1.3"), host = Frames.parseIpv4("100.64.1.2");
        start(false, new DhcpResponder(MAC, VionetMain.hostMacFor(MAC), guest, host, "vm1"), FEATURES);
        guestPostsRx(0, 2048);
        guestSends(0, withHeader(DhcpResponderTest.request(MAC, DhcpResponder.DISCOVER, 0, 0, 99, false)));
        assertTrue(TestRing.eventually(2000, () -> rx.usedIdx() == 1));
        byte[] in = mem.read(0x200000, rx.usedLen(0));
        byte[] reply = Arrays.copyOfRange(in, 12, in.length);
        assertEquals(DhcpResponder.OFFER, DhcpResponderTest.options(reply).get(53)[0]);
        assertEquals(guest, Frames.u32(reply, 42 + 16));
        assertNull(hostReceives(200), "the host never sees the guest's DHCP");
    }

    /**
     * Fixed-seed fuzz: random descriptor tables, avail indexes and kicks on both rings,
     * random frames from the host. The device must never let an exception escape,
     * must stop cleanly, and may only pass the tap frames within the negotiated limits.
     */
    @Test
    void fuzzedRingsAndFramesOnlyCountDrops() throws Exception {
        Random rnd = new Random(0x7e7_1234L);
        long features = FEATURES | VirtioNet.bit(VirtioNet.F_HOST_TSO4)
                | VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC) | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);
        start(false, null, features);
        int passed = 0;
        for (int iter = 0; iter < 400; iter++) {
            if (iter % 10 == 9) { // restart the rings, as a front-end would after a reset
                dev.stopQueue(0);
                dev.stopQueue(1);
                mem.write(0x1000, new byte[0x8000]);
                rx = new TestRing(mem, SIZE, 0x1000, 0x2000, 0x3000);
                tx = new TestRing(mem, SIZE, 0x5000, 0x6000, 0x7000);
                startRings(features);
            }
            for (TestRing r : new TestRing[] {rx, tx}) {
                int n = rnd.nextInt(6);
                for (int k = 0; k < n; k++) {
                    int i = rnd.nextInt(SIZE);
                    long addr = switch (rnd.nextInt(5)) {
                        case 0 -> rnd.nextLong();
                        case 1 -> RAM - rnd.nextInt(100);
                        case 2 -> 0x1000 + rnd.nextInt(0x8000);
                        default -> 0x100000 + rnd.nextInt(0x2f0000);
                    };
                    if (rnd.nextBoolean()) { // a well-formed chain: header and frame
                        int w = r == rx ? VirtQueue.DESC_F_WRITE : 0;
                        long buf = 0x100000 + 0x4000L * rnd.nextInt(0xb0);
                        if (r == tx) mem.write(buf, withHeader(ethernet(OTHER, MAC, rnd.nextInt(1600), iter)));
                        r.desc(i, buf, r == rx ? 1526 : 12 + 14 + rnd.nextInt(1600), w, 0);
                        r.publish(i);
                        continue;
                    }
                    int len = switch (rnd.nextInt(5)) {
                        case 0 -> rnd.nextInt();
                        case 1 -> rnd.nextInt(16);
                        case 2 -> 65536 + rnd.nextInt(1000);
                        default -> 12 + rnd.nextInt(3000);
                    };
                    int flags = rnd.nextInt(8);
                    r.desc(i, addr, len, flags, rnd.nextInt(rnd.nextBoolean() ? SIZE : 0x10000));
                    if (rnd.nextInt(4) != 0) r.publish(i);
                }
                if (rnd.nextInt(40) == 0) {
                    r.availIdx = rnd.nextInt(0x10000);
                    mem.putShort(r.avail + 2, (short) r.availIdx);
                }
            }
            Fds.eventfdSignal(rnd.nextBoolean() ? rxKick : txKick);
            if (rnd.nextInt(3) == 0) {
                byte[] f = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(20) : 12 + 14 + rnd.nextInt(3000)];
                rnd.nextBytes(f);
                if (f.length > 12) Arrays.fill(f, 0, 12, (byte) 0);
                try {
                    hostSends(f);
                } catch (RuntimeException e) {
                    // the socket buffer is full: the device is not reading (no buffers) — fine
                }
            }
            byte[] out;
            while ((out = hostReceives(0)) != null) {
                assertTrue(out.length >= 12 + 14 && out.length <= 12 + VirtioNet.MAX_GSO_FRAME, "frame length " + out.length);
                passed++;
            }
            if (iter % 20 == 0) Thread.sleep(2);
        }
        Thread.sleep(100);
        dev.stopQueue(0);
        dev.stopQueue(1);
        System.err.println("fuzz: " + passed + " frames passed; " + dev.counters());
        assertTrue(dev.counters().txMalformed.get() + dev.counters().rxErrors.get() + dev.counters().rxOversize.get() > 0,
                "the fuzz produced drops");
    }
}
