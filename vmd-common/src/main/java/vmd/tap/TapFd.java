package vmd.tap;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U32;
import static vmd.sys.Native.U8;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.NativeException;

/**
 * A tap descriptor as vionet uses it: what it is (TUNGETIFF), its vnet header size and
 * its offloads. Under vmd the parent creates the tap and vionet only gets the
 * descriptor; the standalone program may open one by name.
 *
 * <p>A multi-queue tap (IFF_MULTI_QUEUE) has one descriptor per queue, all made by
 * TUNSETIFF on the same name; the kernel spreads received frames over the attached
 * queues, so a queue nobody reads is detached (TUNSETQUEUE) or its frames are lost.
 */
public final class TapFd {
    private static final Logger log = LoggerFactory.getLogger(TapFd.class);
    private static final int EINVAL = 22;
    static final long TUNSETIFF = 0x400454caL, TUNGETIFF = 0x800454d2L, TUNSETOFFLOAD = 0x400454d0L,
            TUNSETVNETHDRSZ = 0x400454d8L, TUNSETQUEUE = 0x400454d9L;
    public static final int IFF_TUN = 0x1, IFF_TAP = 0x2, IFF_MULTI_QUEUE = 0x100, IFF_ATTACH_QUEUE = 0x200,
            IFF_DETACH_QUEUE = 0x400, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    public static final int TUN_F_CSUM = 1, TUN_F_TSO4 = 2, TUN_F_TSO6 = 4, TUN_F_TSO_ECN = 8;
    static final int IFREQ_SIZE = 40, IFNAMSIZ = 16;
    static final long SIOCGIFHWADDR = 0x8927;

    private final int fd;
    private final String name;
    private final boolean vnetHdr;
    private final boolean multiQueue;
    private final boolean fake;

    private TapFd(int fd, String name, boolean vnetHdr, boolean multiQueue, boolean fake) {
        this.fd = fd;
        this.name = name;
        this.vnetHdr = vnetHdr;
        this.multiQueue = multiQueue;
        this.fake = fake;
    }

    /** For tests: any packet descriptor (a SOCK_SEQPACKET socket reads and writes like a tap); the tun ioctls are skipped. */
    public static TapFd forTesting(int fd, String name, boolean vnetHdr) {
        return new TapFd(fd, name, vnetHdr, false, true);
    }

    /** Wraps a descriptor received from the parent or inherited: must be a tap without packet info. */
    public static TapFd of(int fd) {
        MemorySegment ifr = Native.allocate(IFREQ_SIZE);
        if (Native.libc().ioctl(fd, TUNGETIFF, ifr) < 0) {
            throw new NativeException("TUNGETIFF (descriptor " + fd + " is not a tun/tap device)", Native.errno());
        }
        int flags = ifr.get(U16, IFNAMSIZ) & 0xffff;
        String name = ifr.asSlice(0, IFNAMSIZ).getString(0, StandardCharsets.US_ASCII);
        if ((flags & IFF_TAP) == 0) throw new IllegalArgumentException(name + " is a tun device, not a tap");
        if ((flags & IFF_NO_PI) == 0) throw new IllegalArgumentException(name + " has packet information (IFF_NO_PI unset)");
        return new TapFd(fd, name, (flags & IFF_VNET_HDR) != 0, (flags & IFF_MULTI_QUEUE) != 0, false);
    }

    /** Opens (creating if needed, with the privilege that takes) tap {@code name}: IFF_TAP|IFF_NO_PI|IFF_VNET_HDR. */
    public static TapFd open(String name) {
        return of(setIff(name, 0));
    }

    /**
     * Opens {@code queues} descriptors of multi-queue tap {@code name} (a "%d" pattern is
     * resolved by the first). A tap that already exists without IFF_MULTI_QUEUE (a
     * persistent one made elsewhere) refuses that flag: then it is opened with one queue,
     * and the caller sees a list of one.
     */
    public static List<TapFd> open(String name, int queues) {
        if (queues < 1) throw new IllegalArgumentException("queue count " + queues);
        if (queues == 1) return List.of(open(name));
        List<TapFd> taps = new ArrayList<>();
        try {
            int first;
            try {
                first = setIff(name, IFF_MULTI_QUEUE);
            } catch (NativeException e) {
                if (e.errno() != EINVAL) throw e;
                log.info("tap {} does not take IFF_MULTI_QUEUE (it exists without it?); using one queue pair", name);
                return List.of(open(name));
            }
            taps.add(of(first));
            for (int i = 1; i < queues; i++) taps.add(of(setIff(taps.get(0).name(), IFF_MULTI_QUEUE)));
            return List.copyOf(taps);
        } catch (RuntimeException e) {
            for (TapFd t : taps) Fds.closeQuietly(t.fd());
            throw e;
        }
    }

    /** A new /dev/net/tun descriptor attached to tap {@code name} with {@code extraFlags}. */
    private static int setIff(String name, int extraFlags) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= IFNAMSIZ) throw new IllegalArgumentException("bad interface name: " + name);
        int fd = Fds.open("/dev/net/tun", Fds.O_RDWR);
        MemorySegment ifr = Native.allocate(IFREQ_SIZE);
        MemorySegment.copy(n, 0, ifr, U8, 0, n.length);
        ifr.set(U16, IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | extraFlags));
        if (Native.libc().ioctl(fd, TUNSETIFF, ifr) < 0) {
            int errno = Native.errno();
            Fds.closeQuietly(fd);
            throw new NativeException("TUNSETIFF " + name, errno);
        }
        return fd;
    }

    public int fd() {
        return fd;
    }

    public String name() {
        return name;
    }

    /** Whether frames carry a virtio-net header (IFF_VNET_HDR). */
    public boolean vnetHdr() {
        return vnetHdr;
    }

    /** Whether the tap has IFF_MULTI_QUEUE (this descriptor is one of its queues). */
    public boolean multiQueue() {
        return multiQueue;
    }

    /**
     * Attaches this queue to the tap or detaches it (TUNSETQUEUE): a detached queue gets
     * no frames, which the kernel then steers to the attached ones. Idempotent: the kernel
     * answers EINVAL for a queue already in that state, which a descriptor handed on by a
     * vionet that died may well be (the state belongs to the open file, not the process).
     */
    public void setQueueAttached(boolean attached) {
        if (fake || !multiQueue) return;
        MemorySegment ifr = Native.allocate(IFREQ_SIZE);
        ifr.set(U16, IFNAMSIZ, (short) (attached ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE));
        if (Native.libc().ioctl(fd, TUNSETQUEUE, ifr) < 0) {
            int errno = Native.errno();
            if (errno == EINVAL) return;
            throw new NativeException("TUNSETQUEUE " + (attached ? "attach" : "detach") + " " + name, errno);
        }
    }

    /**
     * The tap's own (host side) Ethernet address, by SIOCGIFHWADDR on the tap descriptor:
     * unlike /sys/class/net it answers whatever network namespace the caller is in.
     */
    public long hardwareAddress() {
        MemorySegment ifr = Native.allocate(IFREQ_SIZE);
        if (Native.libc().ioctl(fd, SIOCGIFHWADDR, ifr) < 0) throw new NativeException("SIOCGIFHWADDR " + name, Native.errno());
        long mac = 0;
        for (int i = 0; i < 6; i++) mac = mac << 8 | (ifr.get(U8, IFNAMSIZ + 2 + i) & 0xff); // ifr_hwaddr.sa_data
        return mac;
    }

    public void setVnetHeaderSize(int size) {
        if (fake) return;
        MemorySegment p = Native.allocate(4);
        p.set(U32, 0, size);
        if (Native.libc().ioctl(fd, TUNSETVNETHDRSZ, p) < 0) throw new NativeException("TUNSETVNETHDRSZ", Native.errno());
    }

    /** Which offloads the tap may hand us (frames the guest accepts); TUN_F_* bits. */
    public void setOffload(int flags) {
        if (fake) return;
        if (Native.libc().ioctl(fd, TUNSETOFFLOAD, flags) < 0) throw new NativeException("TUNSETOFFLOAD", Native.errno());
    }

    @Override
    public String toString() {
        return name + (vnetHdr ? " (vnet header)" : "") + (multiQueue ? " (multi-queue)" : "");
    }
}
