package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.tap.TapFd;
import vmd.testing.Prerequisites;
import vmd.vhostuser.EventNotifier;
import vmd.vhostuser.TestRing;
import vmd.vhostuser.Vring;
import vmd.virtio.VirtQueue;

/**
 * A real multi-queue tap: opening N queues, detaching and attaching one, the fallback to
 * one queue on a persistent tap made without IFF_MULTI_QUEUE, and a guest pinging the
 * host (in a network namespace of this test) through queue pair 1: the echo request
 * leaves on pair 1's tap queue and the reply comes back on an active pair's receive queue.
 * (Which one is the kernel's choice: Linux 6.1 steered a flow's reply to the queue it left
 * by; 6.18 on these machines hashes it to pair 0.)
 */
class MultiQueueTapTest {
    static final long TUNSETPERSIST = 0x400454cbL;
    static final byte[] MAC = NetDeviceTest.MAC;
    static final int GUEST = Frames.parseIpv4("100.64.7.3"), HOST = Frames.parseIpv4("100.64.7.2");
    final List<Integer> fds = new ArrayList<>();

    static String tapName(String prefix) {
        return prefix + ProcessHandle.current().pid() % 100000;
    }

    @AfterEach
    void tearDown() {
        for (int fd : fds) Fds.closeQuietly(fd);
    }

    List<TapFd> keep(List<TapFd> taps) {
        for (TapFd t : taps) fds.add(t.fd());
        return taps;
    }

    @Test
    void opensOneDescriptorPerQueueAndDetachesThem() {
        Prerequisites.requireRoot();
        Prerequisites.require(NetNs.available(), "/usr/sbin/ip and /dev/net/tun");
        String name = tapName("vmdmq");
        try (NetNs ns = NetNs.create("vmdtest-mq")) {
            List<TapFd> taps = keep(TapFd.open(name, 3));
            ns.adopt(name);
            assertEquals(3, taps.size());
            for (TapFd t : taps) {
                assertEquals(name, t.name());
                assertTrue(t.multiQueue() && t.vnetHdr(), t.toString());
            }
            assertEquals(3, queuesAttached(ns, name));
            // The host side's address from the descriptor (the namespace's /sys is not the caller's).
            String link = ns.exec("/usr/sbin/ip", "-o", "link", "show", "dev", name);
            assertTrue(link.contains("link/ether " + VionetMain.macString(VionetMain.macBytes(taps.get(1).hardwareAddress()))), link);
            taps.get(2).setQueueAttached(false);
            taps.get(2).setQueueAttached(false); // idempotent
            assertEquals(2, queuesAttached(ns, name));
            // A queue left detached (by a vionet that died) is still a tap queue to wrap, and attaches again.
            TapFd again = TapFd.of(taps.get(2).fd());
            assertTrue(again.multiQueue() && again.name().equals(name));
            again.setQueueAttached(true);
            again.setQueueAttached(true);
            assertEquals(3, queuesAttached(ns, name));
        }
    }

    /** The tap's attached queues: tun keeps the device's real receive queue count equal to them (sysfs queues/rx-N). */
    static int queuesAttached(NetNs ns, String name) {
        return Integer.parseInt(ns.exec("/bin/sh", "-c", "ls -d /sys/class/net/" + name + "/queues/rx-* | wc -l").strip());
    }

    @Test
    void aPersistentSingleQueueTapFallsBackToOnePair() {
        Prerequisites.requireRoot();
        Prerequisites.require(NetNs.available(), "/dev/net/tun");
        String name = tapName("vmdsq");
        TapFd made = TapFd.open(name);
        boolean persistent = false;
        try {
            // A tap someone made persistent without IFF_MULTI_QUEUE; it stays down and unaddressed.
            assertEquals(0, Native.libc().ioctl(made.fd(), TUNSETPERSIST, 1L), "TUNSETPERSIST");
            persistent = true;
            Fds.closeQuietly(made.fd());
            List<TapFd> taps = keep(TapFd.open(name, 4));
            assertEquals(1, taps.size(), "one queue pair");
            assertFalse(taps.get(0).multiQueue());
            assertEquals(0, Native.libc().ioctl(taps.get(0).fd(), TUNSETPERSIST, 0L));
            persistent = false;
        } finally {
            if (persistent) NetNs.run(NetNs.IP, "link", "del", name);
        }
    }

    @Test
    void aGuestPingsThroughPairOne() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(NetNs.available(), "/usr/sbin/ip and /dev/net/tun");
        String name = tapName("vmdmp");
        GuestMemory mem = GuestMemory.create("mq-tap", List.of(new MemoryRegion(0, 8 << 20, 0)));
        NetDevice dev = null;
        List<Integer> eventfds = new ArrayList<>();
        try (NetNs ns = NetNs.create("vmdtest-mqping")) {
            List<TapFd> taps = keep(TapFd.open(name, 2));
            ns.adopt(name);
            ns.exec(NetNs.IP, "addr", "add", Frames.ipv4(HOST) + "/31", "dev", name);
            ns.exec(NetNs.IP, "neigh", "add", Frames.ipv4(GUEST), "lladdr", VionetMain.macString(MAC), "dev", name);
            ns.exec(NetNs.IP, "link", "set", name, "up");
            dev = new NetDevice("mqping", taps, MAC, false, null);
            assertEquals(1, queuesAttached(ns, name), "pair 1's tap queue waits detached");
            long f = NetDeviceMultiQueueTest.MQ_FEATURES;
            dev.setFeatures(f);
            TestRing[] rings = new TestRing[5];
            int[] kicks = new int[5];
            for (int i = 0; i < 5; i++) {
                long base = 0x10000L * (i + 1);
                rings[i] = new TestRing(mem, 64, base, base + 0x4000, base + 0x8000);
                kicks[i] = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
                eventfds.add(kicks[i]);
                dev.startQueue(new Vring(i, new VirtQueue(mem, 64, rings[i].desc, rings[i].avail, rings[i].used, f), kicks[i], mem,
                        f, new EventNotifier(), new EventNotifier()));
            }
            // VQ_PAIRS_SET 2 on the control queue
            mem.write(0x300000, NetControlTest.pairsSet(2));
            rings[4].desc(0, 0x300000, 4, VirtQueue.DESC_F_NEXT, 1);
            rings[4].desc(1, 0x300100, 1, VirtQueue.DESC_F_WRITE, 0);
            rings[4].publish(0);
            Fds.eventfdSignal(kicks[4]);
            assertTrue(TestRing.eventually(2000, () -> rings[4].usedIdx() == 1));
            assertEquals(NetControl.OK, mem.read(0x300100, 1)[0]);
            assertEquals(2, dev.activePairs());
            assertEquals(2, queuesAttached(ns, name), "and is attached once pair 1 is active");
            for (int r : new int[] {0, 2}) {
                for (int h = 0; h < 16; h++) rings[r].desc(h, 0x400000L + r * 0x100000L + h * 0x1000L, 2048, VirtQueue.DESC_F_WRITE, 0);
                for (int h = 0; h < 16; h++) rings[r].publish(h);
                Fds.eventfdSignal(kicks[r]);
            }
            byte[] ping = NetDeviceTest.withHeader(echoRequest(hostMac(ns, name), 0x4242));
            mem.write(0x380000, ping);
            rings[3].desc(0, 0x380000, ping.length, 0, 0);
            rings[3].publish(0);
            Fds.eventfdSignal(kicks[3]);
            final NetDevice d = dev;
            assertTrue(TestRing.eventually(3000, () -> d.counters().pairTxFrames.get(1) == 1), "sent on pair 1: " + dev.counters());
            int[] found = new int[1];
            assertTrue(TestRing.eventually(5000, () -> (found[0] = findReply(mem, rings)) >= 0), "an echo reply: " + dev.counters());
            assertTrue(found[0] == 0 || found[0] == 2, "the reply comes on an active pair's receive queue: " + found[0]);
            assertEquals(0, dev.counters().pairTxFrames.get(0));
        } finally {
            if (dev != null) dev.close();
            for (int fd : eventfds) Fds.closeQuietly(fd);
        }
    }

    static byte[] hostMac(NetNs ns, String name) {
        String out = ns.exec("/usr/bin/cat", "/sys/class/net/" + name + "/address").strip();
        return VionetMain.parseMac(out);
    }

    /** The ring (0 or 2) holding an ICMP echo reply to the guest, or -1. */
    static int findReply(GuestMemory mem, TestRing[] rings) {
        for (int r : new int[] {0, 2}) {
            for (int slot = 0; slot < rings[r].usedIdx(); slot++) {
                byte[] b = mem.read(0x400000L + r * 0x100000L + rings[r].usedId(slot) * 0x1000L, rings[r].usedLen(slot));
                int ip = 12 + 14;
                if (b.length >= ip + 28 && Frames.u16(b, 12 + 12) == 0x0800 && b[ip + 9] == Frames.IPPROTO_ICMP && b[ip + 20] == 0
                        && Frames.u32(b, ip + 16) == GUEST) {
                    return r;
                }
            }
        }
        return -1;
    }

    static byte[] echoRequest(byte[] dstMac, int id) {
        byte[] f = new byte[14 + 20 + 8 + 32];
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(MAC, 0, f, 6, 6);
        Frames.put16(f, 12, 0x0800);
        int ip = 14;
        f[ip] = 0x45;
        Frames.put16(f, ip + 2, 20 + 8 + 32);
        Frames.put16(f, ip + 4, id);
        f[ip + 8] = 64;
        f[ip + 9] = (byte) Frames.IPPROTO_ICMP;
        Frames.put32(f, ip + 12, GUEST);
        Frames.put32(f, ip + 16, HOST);
        Frames.put16(f, ip + 10, Frames.fold(Frames.sum(f, ip, 20, 0)));
        int icmp = ip + 20;
        f[icmp] = 8;
        Frames.put16(f, icmp + 4, id);
        Frames.put16(f, icmp + 6, 1);
        for (int i = icmp + 8; i < f.length; i++) f[i] = (byte) i;
        Frames.put16(f, icmp + 2, Frames.fold(Frames.sum(f, icmp, f.length - icmp, 0)));
        return f;
    }
}
