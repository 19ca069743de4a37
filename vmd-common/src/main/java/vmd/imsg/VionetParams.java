package vmd.imsg;

import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * CHILD_CONFIG for a vionet process. The tap arrives as CHILD_FDs, one per queue pair,
 * labelled {@link #tapLabel} (pair 0 is {@link #FD_TAP}); the vhost-user socket to the vm
 * process as {@link #FD_VHOST_USER}.
 *
 * @param name       the device's name in logs ("net0")
 * @param vmName     the VM's name: the DHCP host name of a local interface
 * @param mac        the guest's Ethernet address (48 bits)
 * @param locked     {@code locked lladdr}
 * @param localHost  a local interface's host-side IPv4 address (the router), 0 if not local
 * @param localGuest a local interface's guest IPv4 address, 0 if not local
 * @param hostMac    the tap's own Ethernet address (the DHCP server's), 0 if unknown
 * @param queuePairs how many tap queues (virtio-net queue pairs) follow, 1 to {@link #MAX_QUEUE_PAIRS}
 * @param localHost6 under {@code local inet6}, a local interface's host-side IPv6 address
 *                   (its /96 is the prefix vionet advertises); null otherwise
 */
public record VionetParams(String name, String vmName, long mac, boolean locked, int localHost, int localGuest, long hostMac,
                           int queuePairs, Inet6Address localHost6) implements ImsgPayload {
    public static final String FD_TAP = "tap";
    public static final String FD_VHOST_USER = "vhost-user";
    public static final int MAX_QUEUE_PAIRS = 16;

    public VionetParams {
        if (queuePairs < 1 || queuePairs > MAX_QUEUE_PAIRS) throw new IllegalArgumentException("queue pairs " + queuePairs);
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(vmName, "vmName");
        if ((mac & ~0xffff_ffff_ffffL) != 0 || (hostMac & ~0xffff_ffff_ffffL) != 0) throw new IllegalArgumentException("not a 48-bit MAC");
        if ((localHost == 0) != (localGuest == 0)) throw new IllegalArgumentException("a local interface needs both addresses");
        if (localHost6 != null && localHost == 0) throw new IllegalArgumentException("IPv6 only on a local interface");
    }

    /** A single-queue interface without IPv6. */
    public VionetParams(String name, String vmName, long mac, boolean locked, int localHost, int localGuest, long hostMac) {
        this(name, vmName, mac, locked, localHost, localGuest, hostMac, 1, null);
    }

    /** The descriptor label of queue pair {@code pair}'s tap queue. */
    public static String tapLabel(int pair) {
        return pair == 0 ? FD_TAP : FD_TAP + pair;
    }

    public boolean local() {
        return localHost != 0;
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(name).string(vmName).u64(mac).bool(locked).u32(localHost & 0xffffffffL).u32(localGuest & 0xffffffffL).u64(hostMac)
                .u32(queuePairs).bytes(localHost6 == null ? new byte[0] : localHost6.getAddress());
    }

    public static VionetParams decode(PayloadReader in) {
        return new VionetParams(in.string(), in.string(), in.u64(), in.bool(), (int) in.u32(), (int) in.u32(), in.u64(),
                (int) in.u32(), inet6(in.bytes()));
    }

    private static Inet6Address inet6(byte[] a) {
        if (a.length == 0) return null;
        if (a.length != 16) throw new IllegalArgumentException("not an IPv6 address: " + a.length + " bytes");
        try {
            return Inet6Address.getByAddress(null, a, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
