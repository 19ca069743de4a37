package vmd.parent.priv;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import vmd.parent.config.IpPrefix;

/**
 * The numbers OpenBSD's vm_priv_addr gives (priv.c): (vmid << 8) | 2(idx+1), +1 for the
 * guest, ORed into the prefix, refused past the prefix or 126 interfaces.
 */
class LocalAddressesTest {
    static IpPrefix prefix(String a, int len) throws Exception {
        return new IpPrefix(InetAddress.getByName(a), len);
    }

    static String host(IpPrefix p, int vm, int nic) {
        return LocalAddresses.text(LocalAddresses.address(p, vm, nic, false));
    }

    static String guest(IpPrefix p, int vm, int nic) {
        return LocalAddresses.text(LocalAddresses.address(p, vm, nic, true));
    }

    @Test
    void defaultPrefixMatchesOpenBsd() throws Exception {
        IpPrefix p = prefix("100.64.0.0", 10);
        assertEquals("100.64.1.2", host(p, 1, 0));
        assertEquals("100.64.1.3", guest(p, 1, 0));
        assertEquals("100.64.1.4", host(p, 1, 1));
        assertEquals("100.64.1.9", guest(p, 1, 3));
        assertEquals("100.64.2.2", host(p, 2, 0));
        assertEquals("100.64.255.3", guest(p, 255, 0));
        assertEquals("100.65.0.2", host(p, 256, 0), "VM ids past 255 carry into the third octet's left");
        assertEquals("100.127.255.253", guest(p, 16383, 125), "the last interface of the last VM in the prefix");
    }

    @Test
    void outOfRangeIsRefused() throws Exception {
        IpPrefix p = prefix("100.64.0.0", 10);
        assertThrows(IllegalArgumentException.class, () -> LocalAddresses.address(p, 0x10000, 0, false), "VM id beyond the prefix");
        assertEquals("100.64.0.2", host(p, 16384, 0), "bits already in the prefix are ORed away, as OpenBSD does");
        assertThrows(IllegalArgumentException.class, () -> LocalAddresses.address(p, 1, 127, false), "idx >= 0x7f");
        IpPrefix small = prefix("192.168.0.0", 16);
        assertEquals("192.168.5.2", host(small, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> LocalAddresses.address(small, 256, 0, false));
    }
}
