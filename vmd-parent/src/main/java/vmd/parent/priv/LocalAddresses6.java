package vmd.parent.priv;

import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import vmd.parent.config.IpPrefix;

/**
 * The IPv6 side of a {@code local interface} under {@code local inet6}, numbered exactly as
 * OpenBSD's vmd does (priv.c, vm_priv_addr6): the {@code local inet6 prefix} address with
 * bytes 8-11 replaced by the interface's guest IPv4 address and the last byte 1 (host) or
 * 2 (VM), in a /96. With prefix fd00::/64 and the default {@code local prefix}, VM 1's
 * first interface is fd00::6440:103:0:1 (host) / fd00::6440:103:0:2 (guest).
 */
public final class LocalAddresses6 {
    public static final int PREFIX_LENGTH = 96;

    private LocalAddresses6() {}

    /** The 16-byte address; throws IllegalArgumentException as {@link LocalAddresses#address} does. */
    public static byte[] address(IpPrefix prefix6, IpPrefix prefix4, int vmId, int nic, boolean guest) {
        if (!(prefix6.address() instanceof Inet6Address)) throw new IllegalArgumentException("local inet6 prefix must be IPv6: " + prefix6);
        byte[] a = prefix6.address().getAddress();
        int v4 = LocalAddresses.address(prefix4, vmId, nic, true); // the VM's IPv4 address names the /96
        a[8] = (byte) (v4 >>> 24);
        a[9] = (byte) (v4 >>> 16);
        a[10] = (byte) (v4 >>> 8);
        a[11] = (byte) v4;
        a[15] = (byte) (guest ? 2 : 1);
        return a;
    }

    /**
     * {@code local inet6} without a prefix: fd00::/8 with the 56 bits of RFC 4193's Global ID
     * and Subnet ID random, as OpenBSD generates it once per daemon (a /64 in effect).
     */
    public static IpPrefix randomPrefix() {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        byte[] r = new byte[7];
        new SecureRandom().nextBytes(r);
        System.arraycopy(r, 0, a, 1, 7);
        return new IpPrefix(inet6(a), 64);
    }

    public static Inet6Address inet6(byte[] a) {
        try {
            return Inet6Address.getByAddress(null, a, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** ip(8)'s form, e.g. fd00:0:0:0:6440:103:0:1. */
    public static String text(byte[] a) {
        return inet6(a).getHostAddress();
    }
}
