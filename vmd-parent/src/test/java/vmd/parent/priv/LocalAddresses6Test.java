package vmd.parent.priv;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import vmd.parent.config.IpPrefix;

/**
 * OpenBSD's vm_priv_addr6 (priv.c): the prefix's address, bytes 8-11 the VM's IPv4
 * address of that interface, the last byte 1 for the host and 2 for the VM, a /96.
 */
class LocalAddresses6Test {
    static final IpPrefix V4 = new IpPrefix(addr("100.64.0.0"), 10);

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static String a6(IpPrefix p6, int vm, int nic, boolean guest) throws Exception {
        return InetAddress.getByAddress(LocalAddresses6.address(p6, V4, vm, nic, guest)).getHostAddress();
    }

    @Test
    void embedsTheGuestsIpv4AddressAsOpenBsdDoes() throws Exception {
        IpPrefix p = new IpPrefix(addr("fd00::"), 64);
        assertEquals("fd00:0:0:0:6440:103:0:1", a6(p, 1, 0, false));
        assertEquals("fd00:0:0:0:6440:103:0:2", a6(p, 1, 0, true));
        assertEquals("fd00:0:0:0:6440:105:0:1", a6(p, 1, 1, false), "the second interface: 100.64.1.5");
        assertEquals("fd00:0:0:0:6440:203:0:2", a6(p, 2, 0, true));
        IpPrefix site = new IpPrefix(addr("2001:db8:1:2::"), 64);
        assertEquals("2001:db8:1:2:6440:103:0:1", a6(site, 1, 0, false));
        IpPrefix other4 = new IpPrefix(addr("10.0.0.0"), 8);
        assertEquals("2001:db8:1:2:a00:103:0:2",
                InetAddress.getByAddress(LocalAddresses6.address(site, other4, 1, 0, true)).getHostAddress());
    }

    @Test
    void refusedWhereTheIpv4NumberingIs() {
        IpPrefix p = new IpPrefix(addr("fd00::"), 64);
        assertThrows(IllegalArgumentException.class, () -> LocalAddresses6.address(p, V4, 32768, 0, false));
        assertThrows(IllegalArgumentException.class, () -> LocalAddresses6.address(p, V4, 1, 127, false));
        assertThrows(IllegalArgumentException.class, () -> LocalAddresses6.address(V4, V4, 1, 0, false));
    }

    @Test
    void randomPrefixIsAUniqueLocal64() {
        IpPrefix a = LocalAddresses6.randomPrefix(), b = LocalAddresses6.randomPrefix();
        assertEquals(64, a.length());
        byte[] x = a.address().getAddress();
        assertEquals((byte) 0xfd, x[0]);
        for (int i = 8; i < 16; i++) assertEquals(0, x[i]);
        assertNotEquals(a, b, "56 random bits");
    }

    @Test
    void linkLocalIsModifiedEui64() {
        assertEquals("fe80:0:0:0:0:ff:fe00:1", LocalAddresses6.text(LocalInet6.linkLocal(0x020000000001L)));
        assertEquals("fe80:0:0:0:5054:ff:fe12:3456", LocalAddresses6.text(LocalInet6.linkLocal(0x525400123456L)));
    }
}
