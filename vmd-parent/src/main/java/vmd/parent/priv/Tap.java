package vmd.parent.priv;

import java.util.List;
import vmd.parent.config.MacAddress;
import vmd.sys.Fds;
import vmd.tap.TapFd;

/**
 * A VM's tap, created by the parent: /dev/net/tun with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR,
 * named as configured or the next free {@code tapN} (the kernel picks N), described
 * {@code vmID-ifI-NAME} as OpenBSD's vmd does, up or down as configured. Its descriptor
 * goes to the interface's vionet process only; the tap disappears when the last
 * descriptor closes. With more than one queue pair it is a multi-queue tap
 * (IFF_MULTI_QUEUE) with one descriptor per pair, or one descriptor if an existing
 * persistent tap lacks the flag.
 */
public final class Tap implements AutoCloseable {
    private final int[] fds;
    private final String name;

    private Tap(int[] fds, String name) {
        this.fds = fds;
        this.name = name;
    }

    /** Creates (or attaches to an existing persistent) single-queue tap. */
    public static Tap create(String name, String description, boolean up) {
        return create(name, description, up, 1);
    }

    /** Creates (or attaches to an existing persistent) tap with up to {@code queues} queues. */
    public static Tap create(String name, String description, boolean up, int queues) {
        List<TapFd> ts = TapFd.open(name == null ? "tap%d" : name, queues);
        TapFd t = ts.get(0);
        Tap tap = new Tap(ts.stream().mapToInt(TapFd::fd).toArray(), t.name());
        try {
            if (!t.vnetHdr()) throw new IllegalStateException(t.name() + " exists without IFF_VNET_HDR");
            if (description != null) IpCommand.run("link", "set", "dev", tap.name, "alias", description);
            IpCommand.run("link", "set", "dev", tap.name, up ? "up" : "down");
        } catch (RuntimeException e) {
            tap.close();
            throw e;
        }
        return tap;
    }

    /** The first queue's descriptor. */
    public int fd() {
        return fds[0];
    }

    /** One descriptor per queue (pair), in order. */
    public int[] fds() {
        return fds.clone();
    }

    public String name() {
        return name;
    }

    /** The tap's own (host side) Ethernet address, or null. */
    public MacAddress hostMac() {
        try {
            long bits = TapFd.of(fds[0]).hardwareAddress(); // the tap's namespace, not /sys's
            byte[] b = new byte[6];
            for (int i = 0; i < 6; i++) b[i] = (byte) (bits >>> (8 * (5 - i)));
            return MacAddress.of(b);
        } catch (RuntimeException e) {
            return null;
        }
    }

    public void addAddress(int address, int prefixLength) {
        IpCommand.run("addr", "add", LocalAddresses.text(address) + "/" + prefixLength, "dev", name);
    }

    /** The parent's copies; the vionet process keeps its own. */
    @Override
    public void close() {
        for (int fd : fds) Fds.closeQuietly(fd);
    }
}
