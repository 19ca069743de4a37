package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.tap.TapFd;
import vmd.testing.Prerequisites;
import vmd.vhostuser.BackendServer;
import vmd.vhostuser.UnixListener;
import vmd.vhostuser.VhostUserBackend;

/**
 * local inet6 through our vionet under QEMU-TCG: the Debian kernel solicits a router, our
 * advertisement makes the /96 on-link and the tap's link-local address the default router,
 * the guest takes ::2 (scenario net6) and pings the host side's ::1, which the host kernel
 * answers from the tap in a network namespace of this test. One boot.
 */
class QemuNetInet6Test {
    static final String HOST6 = "fd00::6440:103:0:1", GUEST6 = "fd00::6440:103:0:2";

    @TempDir
    Path dir;

    @Test
    void linuxGuestTakesTheAdvertisedPrefixAndPingsTheHostSide() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.requireTool(QemuNetGuest.QEMU);
        Prerequisites.require(NetNs.available(), "/usr/sbin/ip and /dev/net/tun");
        Path images = QemuNetInteropTest.IMAGES;
        Prerequisites.require(Files.exists(images.resolve("vmlinuz")) && Files.exists(images.resolve("initramfs.cpio.gz")),
                "guest images in " + images + " (run scripts/guest-images.sh as root)");
        String tapName = "vmd6q" + ProcessHandle.current().pid() % 100000;
        try (NetNs ns = NetNs.create("vmdtest-net6")) {
            TapFd tap = TapFd.open(tapName);
            ns.adopt(tapName);
            byte[] tapMac = VionetMain.parseMac(ns.exec("cat", "/sys/class/net/" + tapName + "/address").strip());
            // As the parent configures a local interface's tap (vmd.parent.priv.LocalInet6).
            ns.exec(NetNs.IP, "-6", "addr", "replace", InetAddress.getByAddress(RouterAdvertiser.linkLocal(tapMac)).getHostAddress()
                    + "/64", "dev", tapName, "nodad");
            ns.exec(NetNs.IP, "-6", "addr", "add", HOST6 + "/96", "dev", tapName, "nodad");
            ns.exec(NetNs.IP, "link", "set", tapName, "up");
            byte[] mac = VionetMain.parseMac(QemuNetInteropTest.MAC);
            NetDevice device = new NetDevice("net0", tap, mac, false, null)
                    .router(new RouterAdvertiser(mac, tapMac, InetAddress.getByName(HOST6).getAddress(), NetDevice.MTU));
            try (QemuNetGuest guest = QemuNetGuest.boot(dir, device, images, 256, 1, QemuNetInteropTest.MAC,
                    "vmdguest.run=net6 vmdguest.timeout=200")) {
                boolean ended = guest.awaitPowerOff(240);
                String out = guest.console();
                System.err.println(out);
                System.err.println(guest.qemuLog());
                System.err.println("vionet: " + device.counters());
                assertTrue(ended, "the guest powered off");
                assertTrue(out.contains("VMDGUEST PREFIX6 fd00::6440:103:0:0/96"), "the advertised /96 is on-link");
                assertTrue(out.contains("VMDGUEST ROUTER6 fe80::"), "the host side is the default router");
                assertTrue(out.contains("VMDGUEST IP6 " + GUEST6 + "/96"));
                assertTrue(out.contains("VMDGUEST PING6 ok"));
                assertTrue(out.contains("VMDGUEST PASS net6"), "scenario passed");
                assertTrue(device.counters().raReplies.get() >= 1, "vionet answered a solicitation");
                String neigh = ns.exec(NetNs.IP, "-6", "neigh", "show", "dev", tapName);
                assertTrue(neigh.contains(GUEST6), "the host kernel reached the guest: " + neigh);
            } finally {
                vmd.sys.Fds.closeQuietly(tap.fd());
            }
        }
    }
}
