package vmd.parent.priv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vmd.parent.config.MacAddress;

/**
 * The host side of a local interface under {@code local inet6}: IPv6 enabled on the tap
 * (OpenBSD's SIOCIFAFATTACH), its /96 address, and the EUI-64 link-local address that
 * vionet's router advertisements name as their source (the guest's default router), both
 * without duplicate address detection so they answer the guest at once.
 */
public final class LocalInet6 {
    private LocalInet6() {}

    public static void configure(String tap, byte[] host, MacAddress tapMac) {
        // The kernel would add its own link-local address, with DAD, whenever it likes; we add ours.
        IpCommand.run("link", "set", "dev", tap, "addrgenmode", "none");
        Path disable = Path.of("/proc/sys/net/ipv6/conf", tap, "disable_ipv6");
        try {
            if (!Files.readString(disable).strip().equals("0")) Files.writeString(disable, "0");
        } catch (IOException e) {
            throw new IllegalStateException(tap + ": cannot enable IPv6: " + e.getMessage(), e);
        }
        IpCommand.run("-6", "addr", "flush", "dev", tap, "scope", "link"); // one the kernel made before, still in DAD
        if (tapMac != null) {
            IpCommand.run("-6", "addr", "add", LocalAddresses6.text(linkLocal(tapMac.bits())) + "/64", "dev", tap, "nodad");
        }
        IpCommand.run("-6", "addr", "add", LocalAddresses6.text(host) + "/" + LocalAddresses6.PREFIX_LENGTH, "dev", tap, "nodad");
    }

    /** fe80::/64 with the modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A). */
    public static byte[] linkLocal(long mac) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfe;
        a[1] = (byte) 0x80;
        a[8] = (byte) ((mac >>> 40) ^ 0x02);
        a[9] = (byte) (mac >>> 32);
        a[10] = (byte) (mac >>> 24);
        a[11] = (byte) 0xff;
        a[12] = (byte) 0xfe;
        a[13] = (byte) (mac >>> 16);
        a[14] = (byte) (mac >>> 8);
        a[15] = (byte) mac;
        return a;
    }
}
