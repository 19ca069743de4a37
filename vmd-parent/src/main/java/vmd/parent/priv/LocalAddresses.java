package vmd.parent.priv;

import java.net.Inet4Address;
import vmd.parent.config.IpPrefix;

/**
 * The /31 of a {@code local interface}, numbered exactly as OpenBSD's vmd does
 * (priv.c, vm_priv_addr): the VM id selects a /24-sized range N, interface i the /31
 * M = 2(i+1) in it (the first is skipped, so no gateway ends in .0); the host side is
 * the even address, the guest the odd one; the result is ORed into {@code local prefix}
 * and must stay inside it, and at most 126 interfaces are numbered per VM. With the
 * default 100.64.0.0/10, VM 1's first interface is 100.64.1.2 (host) / 100.64.1.3 (guest).
 */
public final class LocalAddresses {
    private LocalAddresses() {}

    /** The address (host-order int), or throws IllegalArgumentException when the range is exceeded. */
    public static int address(IpPrefix prefix, int vmId, int nic, boolean guest) {
        if (!(prefix.address() instanceof Inet4Address)) throw new IllegalArgumentException("local prefix must be IPv4: " + prefix);
        byte[] p = prefix.address().getAddress();
        int base = ((p[0] & 0xff) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
        int mask = prefix.length() == 0 ? 0 : (int) (0xffffffffL << (32 - prefix.length()));
        base &= mask;
        long addr = ((long) vmId << 8) | ((nic + 1L) * 2);
        if (guest) addr++;
        int a = (int) addr | base;
        if ((a & mask) != base || nic >= 0x7f || nic < 0 || addr > 0xffffffffL) {
            throw new IllegalArgumentException("local interface address range " + prefix + " exceeded by vm id " + vmId
                    + " interface " + nic);
        }
        return a;
    }

    public static String text(int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
    }
}
