package vmd.vionet;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.NativeException;

/**
 * A tap descriptor as vionet uses it: what it is (TUNGETIFF), its vnet header size and
 * its offloads. Under vmd the parent creates the tap and vionet only gets the
 * descriptor; the standalone program may open one by name.
 */
public final class TapFd {
    static final long TUNSETIFF = 0x400454caL, TUNGETIFF = 0x800454d2L, TUNSETOFFLOAD = 0x400454d0L,
            TUNSETVNETHDRSZ = 0x400454d8L;
    public static final int IFF_TUN = 0x1, IFF_TAP = 0x2, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    public static final int TUN_F_CSUM = 1, TUN_F_TSO4 = 2, TUN_F_TSO6 = 4, TUN_F_TSO_ECN = 8;
    static final int IFREQ_SIZE = 40, IFNAMSIZ = 16;

    private final int fd;
    private final String name;
    private final boolean vnetHdr;

    private final boolean fake;

    private TapFd(int fd, String name, boolean vnetHdr) {
        this(fd, name, vnetHdr, false);
    }

    private TapFd(int fd, String name, boolean vnetHdr, boolean fake) {
        this.fd = fd;
        this.name = name;
        this.vnetHdr = vnetHdr;
        this.fake = fake;
    }

    /** For tests: any packet descriptor (a SOCK_SEQPACKET socket reads and writes like a tap); the tun ioctls are skipped. */
    static TapFd forTesting(int fd, String name, boolean vnetHdr) {
        return new TapFd(fd, name, vnetHdr, true);
    }

    /** Wraps a descriptor received from the parent or inherited: must be a tap without packet info. */
    public static TapFd of(int fd) {
        Pointer ifr = Native.allocate(IFREQ_SIZE);
        if (Native.libc().ioctl(fd, TUNGETIFF, ifr) < 0) {
            throw new NativeException("TUNGETIFF (descriptor " + fd + " is not a tun/tap device)", Native.errno());
        }
        int flags = ifr.getShort(IFNAMSIZ) & 0xffff;
        String name = ifr.getString(0, IFNAMSIZ, StandardCharsets.US_ASCII);
        if ((flags & IFF_TAP) == 0) throw new IllegalArgumentException(name + " is a tun device, not a tap");
        if ((flags & IFF_NO_PI) == 0) throw new IllegalArgumentException(name + " has packet information (IFF_NO_PI unset)");
        return new TapFd(fd, name, (flags & IFF_VNET_HDR) != 0);
    }

    /** Opens (creating if needed, with the privilege that takes) tap {@code name}: IFF_TAP|IFF_NO_PI|IFF_VNET_HDR. */
    public static TapFd open(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= IFNAMSIZ) throw new IllegalArgumentException("bad interface name: " + name);
        int fd = Fds.open("/dev/net/tun", Fds.O_RDWR);
        Pointer ifr = Native.allocate(IFREQ_SIZE);
        ifr.put(0, n, 0, n.length);
        ifr.putShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR));
        if (Native.libc().ioctl(fd, TUNSETIFF, ifr) < 0) {
            int errno = Native.errno();
            Fds.closeQuietly(fd);
            throw new NativeException("TUNSETIFF " + name, errno);
        }
        return of(fd);
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

    public void setVnetHeaderSize(int size) {
        if (fake) return;
        Pointer p = Native.allocate(4);
        p.putInt(0, size);
        if (Native.libc().ioctl(fd, TUNSETVNETHDRSZ, p) < 0) throw new NativeException("TUNSETVNETHDRSZ", Native.errno());
    }

    /** Which offloads the tap may hand us (frames the guest accepts); TUN_F_* bits. */
    public void setOffload(int flags) {
        if (fake) return;
        if (Native.libc().ioctl(fd, TUNSETOFFLOAD, flags) < 0) throw new NativeException("TUNSETOFFLOAD", Native.errno());
    }

    @Override
    public String toString() {
        return name + (vnetHdr ? " (vnet header)" : "");
    }
}
