package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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

/**
 * Two queue pairs on fake tap queues (one SOCK_SEQPACKET pair each): ring roles, the
 * control queue's VQ_PAIRS_SET deciding which pairs are served, and the front-end's ring
 * enables deciding when no control queue is started here (QEMU's way).
 */
class NetDeviceMultiQueueTest {
    static final long MQ_FEATURES = NetDeviceTest.FEATURES | VirtioNet.bit(VirtioNet.F_MQ) | VirtioNet.bit(VirtioNet.F_CTRL_VQ);
    static final int SIZE = 64, PAIRS = 2;

    final GuestMemory mem = GuestMemory.create("net-mq-test", List.of(new MemoryRegion(0, 8 << 20, 0)));
    final int[][] socks = {UnixSockets.pair(UnixSockets.SOCK_SEQPACKET), UnixSockets.pair(UnixSockets.SOCK_SEQPACKET)};
    final List<Ring> rings = new ArrayList<>();
    NetDevice dev;

    /** A test ring at its own place in guest memory, with its kick and call eventfds. */
    final class Ring {
        final int index;
        final TestRing r;
        final int kick = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK), call = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        final long buffers;

        Ring(int index) {
            this.index = index;
            long base = 0x10000L * (index + 1);
            r = new TestRing(mem, SIZE, base, base + 0x4000, base + 0x8000);
            buffers = 0x200000L + 0x100000L * index;
        }

        Vring vring(long features) throws Exception {
            return new Vring(index, new VirtQueue(mem, SIZE, r.desc, r.avail, r.used, features), kick, mem, features,
                    NetDeviceTest.callTo(call), new EventNotifier());
        }

        void kick() {
            Fds.eventfdSignal(kick);
        }
    }

    NetDevice device() {
        List<TapFd> taps = new ArrayList<>();
        for (int k = 0; k < PAIRS; k++) {
            Fds.setNonBlocking(socks[k][1], true);
            taps.add(TapFd.forTesting(socks[k][0], "fake0", true));
        }
        dev = new NetDevice("mq", taps, NetDeviceTest.MAC, false, null);
        for (int i = 0; i <= 2 * PAIRS; i++) rings.add(new Ring(i));
        return dev;
    }

    @AfterEach
    void tearDown() {
        if (dev != null) dev.close();
        for (int[] s : socks) for (int fd : s) Fds.closeQuietly(fd);
        for (Ring r : rings) {
            Fds.closeQuietly(r.kick);
            Fds.closeQuietly(r.call);
        }
    }

    void guestSends(Ring tx, int head, byte[] frame) {
        byte[] b = NetDeviceTest.withHeader(frame);
        long buf = tx.buffers + head * 0x8000L;
        mem.write(buf, b);
        tx.r.desc(head, buf, b.length, 0, 0);
        tx.r.publish(head);
        tx.kick();
    }

    void guestPostsRx(Ring rx, int head) {
        rx.r.desc(head, rx.buffers + head * 0x8000L, 2048, VirtQueue.DESC_F_WRITE, 0);
        rx.r.publish(head);
        rx.kick();
    }

    /** Sends a control command (class and command, data, ack: three descriptors as Linux does); returns the ack or -1. */
    int command(Ring ctrl, int head, byte... cmd) {
        long buf = ctrl.buffers + head * 0x100L;
        mem.write(buf, cmd);
        mem.write(buf + 0x80, new byte[] {(byte) 0x77});
        int d = head * 3;
        ctrl.r.desc(d, buf, 2, VirtQueue.DESC_F_NEXT, d + 1);
        ctrl.r.desc(d + 1, buf + 2, cmd.length - 2, VirtQueue.DESC_F_NEXT, d + 2);
        ctrl.r.desc(d + 2, buf + 0x80, 1, VirtQueue.DESC_F_WRITE, 0);
        int before = ctrl.r.usedIdx();
        ctrl.r.publish(d);
        ctrl.kick();
        if (!TestRing.eventually(2000, () -> ctrl.r.usedIdx() == before + 1)) return -1;
        assertEquals(1, ctrl.r.usedLen(before), "the ack's length");
        return mem.read(buf + 0x80, 1)[0];
    }

    static byte[] pairsSet(int n) {
        return NetControlTest.pairsSet(n);
    }

    byte[] hostReceives(int pair, int millis) {
        int fd = socks[pair][1];
        if ((Fds.poll(fd, Fds.POLLIN, millis) & Fds.POLLIN) == 0) return null;
        ByteBuffer b = ByteBuffer.allocateDirect(70000);
        int n = Fds.read(fd, b);
        byte[] out = new byte[n];
        b.flip().get(out);
        return out;
    }

    void hostSends(int pair, byte[] frame) {
        byte[] hdr = NetDeviceTest.withHeader(frame);
        ByteBuffer b = ByteBuffer.allocateDirect(hdr.length);
        b.put(hdr).flip();
        Fds.write(socks[pair][1], b);
    }

    @Test
    void offersMqWithAControlQueueAndAnswersPairsInQueueNum() {
        device();
        assertEquals(5, dev.queueCount(), "2 pairs and the control queue");
        assertEquals(2, dev.queueNum(), "GET_QUEUE_NUM counts pairs for net");
        assertTrue(NetDevice.has(dev.features(), VirtioNet.F_MQ) && NetDevice.has(dev.features(), VirtioNet.F_CTRL_VQ));
        byte[] cfg = dev.config();
        assertEquals(2, (cfg[8] & 0xff) | (cfg[9] & 0xff) << 8, "max_virtqueue_pairs");
        NetDevice single = new NetDevice("one", TapFd.forTesting(socks[0][0], "fake0", true), NetDeviceTest.MAC, false, null);
        try {
            assertEquals(2, single.queueCount());
            assertEquals(1, single.queueNum());
            assertFalse(NetDevice.has(single.features(), VirtioNet.F_MQ) || NetDevice.has(single.features(), VirtioNet.F_CTRL_VQ));
        } finally {
            single.close();
        }
    }

    @Test
    void theControlQueueDecidesWhichPairsAreServed() throws Exception {
        device();
        dev.setFeatures(MQ_FEATURES);
        for (Ring r : rings) dev.startQueue(r.vring(MQ_FEATURES));
        assertEquals(1, dev.activePairs(), "one pair until the driver asks for more");
        Ring rx1 = rings.get(2), tx1 = rings.get(3), ctrl = rings.get(4);

        byte[] early = NetDeviceTest.ethernet(NetDeviceTest.OTHER, NetDeviceTest.MAC, 200, 1);
        guestSends(tx1, 0, early);
        assertNull(hostReceives(1, 300), "an inactive pair's transmit ring is not served");

        assertEquals(NetControl.OK, command(ctrl, 0, pairsSet(2)));
        assertEquals(2, dev.activePairs());
        assertArrayEquals(NetDeviceTest.withHeader(early), hostReceives(1, 2000), "pair 1 transmits once active");
        assertNull(hostReceives(0, 100), "and not on pair 0's tap queue");

        for (int i = 0; i < 4; i++) guestPostsRx(rx1, i);
        byte[] in = NetDeviceTest.ethernet(NetDeviceTest.MAC, NetDeviceTest.OTHER, 300, 2);
        hostSends(1, in);
        assertTrue(TestRing.eventually(2000, () -> rx1.r.usedIdx() == 1), "pair 1 receives");
        assertArrayEquals(in, java.util.Arrays.copyOfRange(mem.read(rx1.buffers + rx1.r.usedId(0) * 0x8000L,
                rx1.r.usedLen(0)), 12, rx1.r.usedLen(0)));
        assertEquals(1, dev.counters().pairRxFrames.get(1));
        assertEquals(1, dev.counters().pairTxFrames.get(1));
        assertEquals(0, dev.counters().pairTxFrames.get(0));

        // hostile commands: ERR, and nothing changes
        assertEquals(NetControl.ERR, command(ctrl, 1, pairsSet(3)));
        assertEquals(NetControl.ERR, command(ctrl, 2, pairsSet(0)));
        assertEquals(NetControl.ERR, command(ctrl, 3, (byte) 0, (byte) 0, (byte) 1));
        assertEquals(NetControl.ERR, command(ctrl, 4, (byte) NetControl.CLASS_MQ, (byte) 0, (byte) 2, (byte) 0, (byte) 0));
        assertEquals(2, dev.activePairs());
        assertEquals(4, dev.counters().ctrlErr.get());

        assertEquals(NetControl.OK, command(ctrl, 5, pairsSet(1)));
        assertEquals(1, dev.activePairs());
        hostSends(1, in);
        Thread.sleep(300);
        assertEquals(1, rx1.r.usedIdx(), "a pair turned off receives nothing");
        assertEquals(2, dev.counters().ctrlOk.get());
    }

    @Test
    void withoutAControlQueueTheFrontEndsEnablesDecide() throws Exception {
        device();
        dev.setFeatures(MQ_FEATURES);
        for (int i = 0; i < 4; i++) dev.startQueue(rings.get(i).vring(MQ_FEATURES)); // QEMU keeps the control queue
        assertEquals(2, dev.activePairs());
        byte[] out = NetDeviceTest.ethernet(NetDeviceTest.OTHER, NetDeviceTest.MAC, 100, 3);
        guestSends(rings.get(3), 0, out);
        assertArrayEquals(NetDeviceTest.withHeader(out), hostReceives(1, 2000));
        dev.stopQueue(2); // SET_VRING_ENABLE 0 on pair 1's receive ring
        assertEquals(1, dev.activePairs());
        guestSends(rings.get(3), 1, out);
        assertNull(hostReceives(1, 300), "a half-disabled pair is not served");
    }

    /** A respawned vionet: the control queue resumes past 0, the driver's VQ_PAIRS_SET is gone; its enabled pairs stay served. */
    @Test
    void aResumedControlQueueKeepsTheEnabledPairs() throws Exception {
        device();
        dev.setFeatures(MQ_FEATURES);
        for (int i = 0; i < 4; i++) dev.startQueue(rings.get(i).vring(MQ_FEATURES));
        Ring ctrl = rings.get(4);
        mem.putShort(ctrl.r.avail + 2, (short) 3); // the driver sent three commands to the old process
        mem.putShort(ctrl.r.used + 2, (short) 3);
        dev.startQueue(new Vring(4, new VirtQueue(mem, SIZE, ctrl.r.desc, ctrl.r.avail, ctrl.r.used, MQ_FEATURES, 3), ctrl.kick,
                mem, MQ_FEATURES, NetDeviceTest.callTo(ctrl.call), new EventNotifier()));
        assertEquals(2, dev.activePairs());
        dev.reset();
        mem.putShort(ctrl.r.avail + 2, (short) 0);
        mem.putShort(ctrl.r.used + 2, (short) 0);
        dev.setFeatures(MQ_FEATURES);
        for (Ring r : rings) dev.startQueue(r.vring(MQ_FEATURES));
        assertEquals(1, dev.activePairs(), "a fresh control queue: one pair until VQ_PAIRS_SET");
    }

    @Test
    void withoutMqOnlyTheFirstPairExists() throws Exception {
        device();
        long f = NetDeviceTest.FEATURES | VirtioNet.bit(VirtioNet.F_CTRL_VQ);
        dev.setFeatures(f);
        dev.startQueue(rings.get(0).vring(f));
        dev.startQueue(rings.get(1).vring(f));
        assertThrows(IllegalArgumentException.class, () -> dev.startQueue(rings.get(3).vring(f)));
        assertEquals(2, dev.ctrlIndex(), "CTRL_VQ without MQ: the control queue is ring 2");
        dev.startQueue(rings.get(2).vring(f));
        assertEquals(NetControl.ERR, command(rings.get(2), 0, pairsSet(1)), "no MQ commands without MQ");
        assertEquals(1, dev.activePairs());
    }
}
