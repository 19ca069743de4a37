package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.parent.config.InterfaceConfig;
import vmd.parent.config.IpPrefix;
import vmd.parent.config.SwitchConfig;
import vmd.parent.config.VmConfig;
import vmd.testing.Prerequisites;

/**
 * vm.conf's {@code rdomain N} is a Linux VRF with table N: the parent enslaves an
 * interface's tap, or a switch's bridge, to it; with no such VRF the VM is refused before
 * any tap exists. Everything happens in a network namespace of the test, which the
 * parent's event thread enters (the {@code ip} commands it runs inherit it).
 */
class RdomainTest {
    private static final String IP = "/usr/sbin/ip";
    private String ns;
    private VmFixture f;

    @BeforeEach
    void enterNamespace() throws Exception {
        Prerequisites.requireRoot();
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun");
        Prerequisites.requireTool(IP);
        ns = "vmdtest-vrf-" + ProcessHandle.current().pid();
        VionetVmTest.run(IP, "netns", "add", ns);
        f = new VmFixture();
        ParentNetns.enter(f, ns);
    }

    @AfterEach
    void leave() throws Exception {
        if (f != null) f.close();
        if (ns != null) VionetVmTest.run(IP, "netns", "del", ns);
    }

    /** The kernel must know VRF devices (CONFIG_NET_VRF, module vrf); else the test skips (a kernel build option, so under CI too). */
    private void requireVrf() throws Exception {
        for (String modprobe : List.of("/usr/sbin/modprobe", "/sbin/modprobe")) {
            if (Files.isExecutable(Path.of(modprobe))) new ProcessBuilder(modprobe, "vrf").start().waitFor();
        }
        boolean ok;
        try {
            VionetVmTest.run(IP, "-n", ns, "link", "add", "vrf7", "type", "vrf", "table", "7");
            ok = true;
        } catch (IllegalStateException e) {
            ok = false;
        }
        Prerequisites.requireKernelFeature(ok, "VRF support (CONFIG_NET_VRF, module vrf): ip link add ... type vrf failed");
        VionetVmTest.run(IP, "-n", ns, "link", "set", "vrf7", "up");
    }

    private static VmConfig.Builder vm(String name) {
        return VmConfig.builder(name).boot(VmFixture.TEST_GUEST.toString()).memory(64L << 20).cpus(1).cmdline("console=ttyS0");
    }

    private String link(String dev) throws Exception {
        return VionetVmTest.run(IP, "-n", ns, "-o", "-d", "link", "show", "dev", dev);
    }

    @Test
    void interfaceTapAndSwitchBridgeJoinTheVrf() throws Exception {
        requireVrf();
        IpPrefix prefix = new IpPrefix(InetAddress.getByName("100.64.0.0"), 10);
        f.onEvents(() -> f.registry().network(prefix, List.of(new SwitchConfig("red", true, "vmdtbr7", null, false, 7, true))));
        f.start(vm("vrftest")
                .iface(new InterfaceConfig(false, "vmdtvrf0", null, null, false, null, 7, true))
                .iface(new InterfaceConfig(false, "vmdtvrf1", "red", null, false, null, -1, true))
                .build());
        f.awaitConsole("VMDTEST READY", Duration.ofSeconds(90));
        assertTrue(link("vmdtvrf0").contains("master vrf7"), link("vmdtvrf0"));
        assertTrue(link("vmdtbr7").contains("master vrf7"), link("vmdtbr7"));
        assertTrue(link("vmdtvrf1").contains("master vmdtbr7"), link("vmdtvrf1"));
    }

    @Test
    void withoutTheVrfTheVmIsRefusedAndNoTapIsLeft() throws Exception {
        IpPrefix prefix = new IpPrefix(InetAddress.getByName("100.64.0.0"), 10);
        f.onEvents(() -> f.registry().network(prefix, List.of(new SwitchConfig("blue", true, "vmdtbr9", null, false, 9, true))));
        assertRefused(vm("novrf").iface(new InterfaceConfig(false, "vmdtvrf9", null, null, false, null, 9, true)).build());
        assertRefused(vm("novrfsw").iface(new InterfaceConfig(false, "vmdtvrf8", "blue", null, false, null, -1, true)).build());
        String links = VionetVmTest.run(IP, "-n", ns, "-o", "link", "show");
        assertFalse(links.contains("vmdtvrf9") || links.contains("vmdtvrf8"), "no tap is left behind: " + links);
        assertFalse(links.contains("vmdtbr9"), "nor a bridge: " + links);
    }

    private void assertRefused(VmConfig c) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.start(c));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        int table = c.interfaces().get(0).hasRdomain() ? c.interfaces().get(0).rdomain() : 9;
        assertEquals("rdomain " + table + ": no VRF device with table " + table
                + " (create one: ip link add vrf" + table + " type vrf table " + table + ")", e.getCause().getMessage());
    }
}
