package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.IpPrefix;
import vmd.parent.config.VmConfig;
import vmd.testing.Prerequisites;

/**
 * {@code local inet6} as the parent applies it, in a network namespace of the test: the
 * local interface's tap gets OpenBSD's host-side /96 address and the EUI-64 link-local
 * address vionet advertises as the router, both usable at once (no DAD).
 */
class LocalInet6VmTest {
    private static final String IP = "/usr/sbin/ip";

    @Test
    void theTapGetsTheHostSideOfTheVmsSlash96() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool(IP);
        String ns = "vmdtest-inet6-" + ProcessHandle.current().pid();
        VionetVmTest.run(IP, "netns", "add", ns);
        try (VmFixture f = new VmFixture()) {
            ParentNetns.enter(f, ns);
            IpPrefix prefix6 = new IpPrefix(InetAddress.getByName("fd00:1:2:3::"), 64);
            f.onEvents(() -> f.registry().inet6(prefix6));
            Vm vm = f.start(VmConfig.builder("v6test").boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20).cpus(1)
                    .iface(new InterfaceConfig(true, "vmdt6tap0", null, null, false, null, -1, true)).cmdline("console=ttyS0").build());
            f.awaitConsole("VMDTEST READY", Duration.ofSeconds(90));
            String addrs = VionetVmTest.run(IP, "-n", ns, "-6", "-o", "addr", "show", "dev", "vmdt6tap0");
            String host = "fd00:1:2:3:6440:" + Integer.toHexString(vm.id()) + "03:0:1";
            assertTrue(addrs.contains(host + "/96"), "OpenBSD's host-side address: " + addrs);
            assertFalse(addrs.contains("tentative"), addrs);
            String link = VionetVmTest.run(IP, "-n", ns, "-o", "link", "show", "dev", "vmdt6tap0");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(link);
            assertTrue(m.find(), link);
            String ll = vmd.parent.priv.LocalAddresses6.text(
                    vmd.parent.priv.LocalInet6.linkLocal(vmd.parent.config.MacAddress.parse(m.group(1)).bits()));
            String compressed = InetAddress.getByName(ll).getHostAddress().replace("fe80:0:0:0:", "fe80::");
            assertTrue(addrs.contains(compressed + "/64"), "the router's EUI-64 link-local address " + compressed + ": " + addrs);
            String v4 = VionetVmTest.run(IP, "-n", ns, "-4", "-o", "addr", "show", "dev", "vmdt6tap0");
            assertTrue(v4.contains("100.64." + vm.id() + ".2/31"), v4);
        } finally {
            VionetVmTest.run(IP, "netns", "del", ns);
        }
    }
}
